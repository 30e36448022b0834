/* Runs in the page: every pointer target with its size, after the exceptions WCAG 2.5.8 allows:
   - inline: a link inside running text (its block holds words outside any target);
   - spacing: an undersized target whose 24 px circle, centred on it, meets no other target
     and no other undersized target's circle.
   Hidden elements are not targets; neither is the skip link while it is clipped to 1 px. */
(minimum) => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], [tabindex]:not([tabindex="-1"])';
  const describe = (el) => {
    const parts = [];
    for (let node = el; node && node.nodeType === 1 && parts.length < 4; node = node.parentElement) {
      let part = node.tagName.toLowerCase();
      if (node.id) { parts.unshift(part + '#' + node.id); break; }
      const classes = [...node.classList].slice(0, 2);
      if (classes.length) part += '.' + classes.join('.');
      parts.unshift(part);
    }
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 40);
    return parts.join(' > ') + (text ? ` "${text}"` : '');
  };
  const blockOf = (el) => {
    let node = el.parentElement;
    while (node && getComputedStyle(node).display.startsWith('inline')) node = node.parentElement;
    return node;
  };
  const inRunningText = (el) => {
    if (el.tagName !== 'A' || getComputedStyle(el).display !== 'inline') return false;
    const block = blockOf(el);
    if (!block) return false;
    const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
    let words = '';
    while (walker.nextNode()) {
      const text = walker.currentNode;
      if (!text.parentElement.closest(selector)) words += text.textContent;
    }
    return /[\p{L}\p{N}]/u.test(words);
  };
  const targets = [];
  for (const el of document.querySelectorAll(selector)) {
    if (el.disabled) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') continue;
    const box = el.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1) continue;
    targets.push({el, box, small: box.width < minimum - 0.5 || box.height < minimum - 0.5});
  }
  const centre = (box) => [box.left + box.width / 2, box.top + box.height / 2];
  const distanceToBox = ([x, y], box) => Math.hypot(
    Math.max(box.left - x, 0, x - box.right), Math.max(box.top - y, 0, y - box.bottom));
  const offenders = [];
  for (const target of targets) {
    if (!target.small || inRunningText(target.el)) continue;
    const point = centre(target.box);
    const crowded = targets.some((other) => {
      if (other === target || other.el.contains(target.el) || target.el.contains(other.el)) return false;
      if (other.small) {
        const [x, y] = centre(other.box);
        return Math.hypot(point[0] - x, point[1] - y) < minimum;
      }
      return distanceToBox(point, other.box) < minimum / 2;
    });
    if (crowded) {
      offenders.push(`${describe(target.el)}: ${Math.round(target.box.width * 10) / 10} x ${Math.round(target.box.height * 10) / 10} px`);
    }
  }
  return offenders;
}

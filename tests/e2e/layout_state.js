/* Runs in the page: sideways overflow (and the first elements that stick out), whether the
   language switcher and the header search can be seen and how wide the search field is, and
   the primary actions (the menu button, .btn-primary) lower than 44 px. */
() => {
  const shown = (el) => {
    if (!el) return false;
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== 'hidden';
  };
  const name = (el) => el.tagName.toLowerCase()
    + (typeof el.className === 'string' && el.className ? '.' + el.className.split(' ').slice(0, 2).join('.') : '');
  const wide = [...document.querySelectorAll('body *')]
    .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
    .slice(0, 3)
    .map(name);
  const search = document.querySelector('#header-search');
  const lowPrimaries = [...document.querySelectorAll('.portal-menu-toggle, .btn-primary')]
    .filter((el) => shown(el) && el.getBoundingClientRect().height < 43.5)
    .map((el) => `${name(el)} "${el.innerText.trim().slice(0, 40)}": ${Math.round(el.getBoundingClientRect().height)} px high`);
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    wide,
    switcher: shown(document.querySelector('.language-switcher a')),
    search: shown(search),
    searchWidth: search ? Math.round(search.getBoundingClientRect().width) : 0,
    toggle: shown(document.querySelector('.portal-menu-toggle')),
    lowPrimaries,
  };
}

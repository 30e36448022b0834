/* Runs in the page: sideways overflow (and the first elements that stick out), whether the
   language switcher and the header search can be seen and how wide the search field is, the
   primary actions (the menu button, .btn-primary) lower than 44 px, and the drop-down lists too
   narrow for the choice they show ("Cualquier priori"). */
(uncheckedSelects) => {
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
  const ruler = document.createElement('canvas').getContext('2d');
  const clippedSelects = [...document.querySelectorAll('select:not([multiple])')]
    .filter((el) => shown(el) && el.selectedIndex >= 0 && !uncheckedSelects.includes(el.id))
    .map((el) => {
      const css = getComputedStyle(el);
      ruler.font = `${css.fontWeight} ${css.fontSize} ${css.fontFamily}`;
      const text = el.options[el.selectedIndex].text;
      const room = el.clientWidth - parseFloat(css.paddingLeft) - parseFloat(css.paddingRight);
      return {el, text, need: Math.ceil(ruler.measureText(text).width), room: Math.floor(room)};
    })
    .filter(({need, room}) => need > room + 1)
    .map(({el, text, need, room}) => `${name(el)}#${el.id} "${text}" needs ${need} px, has ${room}`);
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    wide,
    switcher: shown(document.querySelector('.language-switcher a')),
    search: shown(search),
    searchWidth: search ? Math.round(search.getBoundingClientRect().width) : 0,
    toggle: shown(document.querySelector('.portal-menu-toggle')),
    lowPrimaries,
    clippedSelects,
  };
}

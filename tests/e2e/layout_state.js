/* Runs in the page: sideways overflow, and whether the switcher and the search can be seen. */
() => {
  const shown = (selector) => {
    const el = document.querySelector(selector);
    if (!el) return false;
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== 'hidden';
  };
  const root = document.documentElement;
  const wide = [...document.querySelectorAll('body *')]
    .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
    .slice(0, 3)
    .map((el) => el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').slice(0, 2).join('.') : ''));
  return {
    scrollWidth: root.scrollWidth,
    innerWidth: window.innerWidth,
    wide,
    switcher: shown('.language-switcher a'),
    search: shown('#header-search'),
    toggle: shown('.portal-menu-toggle'),
  };
}

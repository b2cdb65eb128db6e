// Progressive enhancement only: forms marked data-confirm ask once more in the browser.
// Without JavaScript the server's own confirmation page does the same job.
document.addEventListener('submit', (e) => {
  const form = e.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) e.preventDefault();
});

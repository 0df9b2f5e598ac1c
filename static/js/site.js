// Small behaviours every page shares, without inline scripts.

// <form data-confirm="..."> asks before submitting.
document.addEventListener("submit", (event) => {
  const question = event.target.dataset?.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});

// <input data-autosubmit> submits its form when changed.
document.addEventListener("change", (event) => {
  if (event.target.matches?.("[data-autosubmit]")) event.target.form.requestSubmit();
});

// <button data-open-dialog="id"> opens that <dialog>.
document.addEventListener("click", (event) => {
  const opener = event.target.closest?.("[data-open-dialog]");
  if (opener) document.getElementById(opener.dataset.openDialog)?.showModal();
});

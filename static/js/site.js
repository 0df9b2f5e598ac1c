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

// The notification bell: its count follows the `notification` and
// `notifications.read` frames a board page's socket receives (connection.js
// hands them on as "boardsite:user-frame" events).
const bell = document.getElementById("notifications-bell");

function showUnread(count) {
  bell.dataset.unread = String(count);
  const badge = bell.querySelector(".bell-count");
  badge.textContent = String(count);
  badge.hidden = count === 0;
  bell.setAttribute("aria-label", count ? `Notifications: ${count} unread` : "Notifications");
}

window.addEventListener("boardsite:user-frame", (event) => {
  if (!bell) return;
  const frame = event.detail;
  if (frame.type === "notification" && !frame.notification.read) {
    showUnread(Number(bell.dataset.unread || 0) + 1);
    bell.title = `${frame.notification.actor ?? "Someone"} ${frame.notification.kind === "mention" ? "mentioned you" : frame.notification.kind === "assigned" ? "assigned you a card" : "commented"} on “${frame.notification.card_title}”`;
    bell.classList.remove("has-news");
    void bell.offsetWidth; // restart the animation
    bell.classList.add("has-news");
  } else if (frame.type === "notifications.read") {
    showUnread(frame.unread);
  }
});

// The phone's status-bar clock: the time now, kept current. It shows minutes, so checking each second is plenty.
(() => {
  const clock = document.getElementById("phone-time");
  const show = () => {
    clock.textContent = new Date().toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
  };
  show();
  setInterval(show, 1000);
})();

// Getting an agent's attention: a short tone, and a desktop notification when they asked for them.
let audio: AudioContext | null = null;

export function notify(text: string, desktop: boolean): void {
  try {
    audio ||= new AudioContext();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.08, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.35);
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.35);
  } catch (err) { /* no sound available */ }
  if (desktop && "Notification" in window && Notification.permission === "granted" && document.hidden) {
    new Notification("faqbot", { body: text, tag: "faqbot-inbox" });
  }
}

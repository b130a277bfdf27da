// A WebSocket that reconnects by itself (backing off up to 10 s) and says whether it is connected.

export interface LiveSocketOptions {
  url: () => string;                       // asked again on each reconnect (e.g. ?after=<last seq>)
  onEvent: (event: any) => void;
  onState?: (connected: boolean) => void;
  onFatal?: (code: number) => boolean;     // true: stop reconnecting
}

export class LiveSocket {
  private socket: WebSocket | null = null;
  private retryMs = 500;
  private timer: number | undefined;
  private closed = false;

  constructor(private options: LiveSocketOptions) {
    this.open();
  }

  private open(): void {
    const ws = new WebSocket(this.options.url());
    this.socket = ws;
    ws.onopen = () => { this.retryMs = 500; this.options.onState?.(true); };
    ws.onmessage = (ev) => {
      try { this.options.onEvent(JSON.parse(ev.data)); } catch (err) { console.error(err); }
    };
    ws.onclose = (ev) => {
      if (this.socket !== ws) return;
      this.options.onState?.(false);
      if (this.closed || this.options.onFatal?.(ev.code)) return;
      this.timer = window.setTimeout(() => this.open(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 10000);
    };
  }

  get connected(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  send(event: unknown): boolean {
    if (!this.connected) return false;
    this.socket!.send(JSON.stringify(event));
    return true;
  }

  /** Reconnect now (e.g. after the browser says it is online again). */
  kick(): void {
    if (this.connected || this.closed) return;
    window.clearTimeout(this.timer);
    this.retryMs = 500;
    if (this.socket && this.socket.readyState === WebSocket.CONNECTING) return;
    this.open();
  }

  close(): void {
    this.closed = true;
    window.clearTimeout(this.timer);
    this.socket?.close();
  }
}

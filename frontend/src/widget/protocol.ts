// Messages between the loader (on the shop's page) and the widget app (in the iframe), via postMessage.

export interface WidgetSettings {
  color?: string;                 // the accent colour, e.g. "#c2410c"
  position?: "right" | "left";
  title?: string;                 // the header's title (default: "Customer service" in the customer's language)
  greeting?: string;              // the first thing the widget says
  locale?: string;                // "en", "zh-Hans", "zh-Hant" or any BCP 47 tag (default: the page's lang)
  user?: WidgetUser;
}

export interface WidgetUser {
  name?: string;
  email?: string;
  externalId?: string;
  signature?: string;             // hex HMAC-SHA256 of externalId, computed by the shop's server
}

export type ToFrame =
  | { faqbot: "open" }
  | { faqbot: "close" }
  | { faqbot: "page"; url: string }
  | { faqbot: "locale"; locale: string }
  | { faqbot: "user"; user: WidgetUser };

export type FromFrame =
  | { faqbot: "ready" }
  | { faqbot: "close" }
  | { faqbot: "unread"; count: number }
  | { faqbot: "event"; name: "message" | "handoff"; detail: unknown };

export function isFromFrame(data: any): data is FromFrame {
  return data && typeof data === "object" && typeof data.faqbot === "string";
}

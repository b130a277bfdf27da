// The one place for UI strings: t(key, values) in the current locale. Used by the widget and the back office.
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import { en, type MessageKey } from "./en";
import { zhHans } from "./zh-Hans";
import { zhHant } from "./zh-Hant";

export type { MessageKey };
export type Locale = "en" | "zh-Hans" | "zh-Hant";
export const LOCALES: Locale[] = ["en", "zh-Hans", "zh-Hant"];

const CATALOGS: Record<Locale, Record<MessageKey, string>> = { en, "zh-Hans": zhHans, "zh-Hant": zhHant };

/** A BCP 47 tag (a page's lang, a setting, navigator.language) → one of our locales. */
export function resolveLocale(tag: string | null | undefined): Locale | null {
  if (!tag) return null;
  const lower = tag.trim().toLowerCase().replace("_", "-");
  if (!lower) return null;
  if (lower.startsWith("zh")) {
    return /hant|-tw|-hk|-mo/.test(lower) ? "zh-Hant" : "zh-Hans";
  }
  if (lower.startsWith("en")) return "en";
  return null;
}

export function translate(locale: Locale, key: MessageKey, values?: Record<string, string | number>): string {
  const template = CATALOGS[locale]?.[key] ?? en[key] ?? key;
  if (!values) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

/** The service's language code ('en' | 'zh') of a locale. */
export function serviceLanguage(locale: Locale): "en" | "zh" {
  return locale === "en" ? "en" : "zh";
}

/** The html lang attribute of a locale. */
export function htmlLang(locale: Locale): string {
  return locale === "zh-Hans" ? "zh-CN" : locale === "zh-Hant" ? "zh-TW" : "en";
}

export type T = (key: MessageKey, values?: Record<string, string | number>) => string;

export const I18nContext = /*#__PURE__*/ createContext<{ locale: Locale; t: T }>({ locale: "en", t: (k, v) => translate("en", k, v) });

export function useI18n(): { locale: Locale; t: T } {
  return useContext(I18nContext);
}

export function i18nValue(locale: Locale): { locale: Locale; t: T } {
  return { locale, t: (key, values) => translate(locale, key, values) };
}

// Characters that exist only in traditional Chinese (their simplified forms differ); enough to tell a customer
// who writes traditional characters from one who writes simplified ones.
const TRADITIONAL_ONLY = new Set(
  "們這個說話時間會對麼為還從過嗎請問訂單運費退貨換貨帳號碼與專發開關買賣錢點實體歡謝態電話號郵寄當無法處理應該樣經驗隻讓給幫查詢優惠劵價錢紅顏廣東購物車結帳寶貝確認聯絡變轉數據網頁設計劃應來後壞掉損遲還沒收到補償驗證碼帳戶鎖資訊會員積分兌換發票稅額閱讀關於時候問題"
    .split(""),
);
const SIMPLIFIED_ONLY = new Set(
  "们这个说话时间会对么为还从过吗请问订单运费退货换货账号码与专发开关买卖钱点实体欢谢态电话号邮寄当无法处理应该样经验只让给帮查询优惠价钱红颜广东购物车结账宝贝确认联络变转数据网页设计划应来后坏掉损迟还没收到补偿验证码账户锁资讯会员积分兑换发票税额阅读关于时候问题"
    .split(""),
);

/** The locale a customer's message is written in: "zh" when Chinese but not telling which script, null when the
 * text does not tell at all (e.g. only digits). */
export function localeOfText(text: string): Locale | "zh" | null {
  let cjk = 0, latin = 0, trad = 0, simp = 0;
  for (const ch of text) {
    if (/[\u3400-\u9fff]/.test(ch)) {
      cjk++;
      if (TRADITIONAL_ONLY.has(ch) && !SIMPLIFIED_ONLY.has(ch)) trad++;
      if (SIMPLIFIED_ONLY.has(ch) && !TRADITIONAL_ONLY.has(ch)) simp++;
    }
  }
  latin = (text.match(/[A-Za-z]+/g) || []).length;
  if (cjk && cjk >= latin) return trad > simp ? "zh-Hant" : simp > trad ? "zh-Hans" : "zh";
  if (latin >= 2 && !cjk) return "en";
  return null;
}

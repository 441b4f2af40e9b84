// An authenticator app's QR code for the console: inline SVG drawn on the server (no outside service). qrcode's
// SVG is shapes with presentation attributes only (no style attribute, no script), so the console's CSP
// (style-src 'self', script-src 'none') lets it render.
import QRCode from 'qrcode';

export function qrSvgOf(uri: string): Promise<string> {
  return QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 });
}

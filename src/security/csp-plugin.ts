// Vite plugin: puts the studio's Content-Security-Policy into the built index.html (a <meta> at
// the top of <head>) and sends it as a header from `vite preview`. Not applied by the dev server:
// there React refresh adds an inline preamble script and Vite injects CSS as <style> elements,
// both of which the policy (rightly) blocks.
import type { Plugin } from 'vite';
import { CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_HEADER } from './csp.ts'; // with its extension: Vite's native config loader (Node) reads this file

const META = /<meta\s[^>]*http-equiv=["']?content-security-policy/i;

export function contentSecurityPolicy(): Plugin {
  return {
    name: 'studio-content-security-policy',
    transformIndexHtml: {
      order: 'post',
      handler(html, ctx) {
        // ctx.server is set only by the dev server. A page that already has a policy keeps it
        // (also makes the plugin safe to list twice).
        if (ctx.server || META.test(html)) return html;
        return [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY }, injectTo: 'head-prepend' }];
      },
    },
    configurePreviewServer(server) {
      server.middlewares.use((_req, res, next) => {
        res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY_HEADER);
        next();
      });
    },
  };
}

// The chat panel's stylesheet: static text only. Site colours arrive as custom properties set on the
// host element (validated hex values, see shared.ts applyLook); model and visitor text never reach CSS.

/** The panel's CSS, adopted by the widget's shadow root. */
export const css = `
[hidden]{display:none!important}
.panel{--p:var(--cloop-primary,#2563eb);--on:var(--cloop-on-primary,#fff);--bg:#fff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bot:#f1f3f5;
color-scheme:light;position:fixed;right:20px;bottom:calc(88px + env(safe-area-inset-bottom,0px));width:min(400px,calc(100vw - 40px));
height:min(640px,calc(100vh - 120px));height:min(640px,calc(100dvh - 120px));display:flex;flex-direction:column;box-sizing:border-box;
background:var(--bg);color:var(--fg);border-radius:16px;box-shadow:0 12px 48px rgba(0,0,0,.28);overflow:hidden;text-align:left;
font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;-webkit-text-size-adjust:100%}
@media (prefers-color-scheme:dark){.panel{--bg:#16181d;--fg:#e8eaed;--muted:#a8b0b9;--line:#3d434c;--bot:#24282f;color-scheme:dark}}
:host([data-position=left]) .panel{right:auto;left:20px}
@media (max-width:639.98px){.panel,:host([data-position=left]) .panel{left:0;right:0;top:var(--vv-top,0px);bottom:auto;width:100%;height:100vh;height:100dvh;height:var(--vv-height,100dvh);border-radius:0;box-shadow:none}}
*,*::before,*::after{box-sizing:border-box}
button,input,textarea{font:inherit;color:inherit;margin:0}
button{cursor:pointer}
:focus-visible{outline:2px solid var(--fg);outline-offset:2px}
.vh{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
.head{display:flex;align-items:center;gap:4px;padding:10px 8px 10px 16px;background:var(--p);color:var(--on)}
.head :focus-visible{outline-color:var(--on)}
.title{flex:1;margin:0;font-size:16px;font-weight:600;line-height:1.3;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.icon{display:inline-flex;align-items:center;justify-content:center;width:40px;height:40px;padding:0;border:0;border-radius:8px;background:transparent;color:inherit}
.icon:hover{background:rgba(127,127,127,.2)}
svg{width:20px;height:20px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round;flex:none}
.notice{margin:0;padding:8px 16px;font-size:13px;color:var(--muted);border-bottom:1px solid var(--line)}
.log{flex:1;overflow-y:auto;overscroll-behavior:contain;padding:16px;display:flex;flex-direction:column;gap:12px}
.msg{max-width:88%;overflow-wrap:anywhere}
.me{align-self:flex-end;background:var(--p);color:var(--on);padding:8px 12px;border-radius:14px 14px 4px 14px;white-space:pre-wrap}
.bot{align-self:flex-start}
.bubble{background:var(--bot);padding:8px 12px;border-radius:14px 14px 14px 4px}
.bubble>:first-child{margin-top:0}.bubble>:last-child{margin-bottom:0}
.bubble p,.bubble ul,.bubble ol,.bubble pre{margin:0 0 8px}
.bubble ul,.bubble ol{padding-left:22px}
.bubble a,.src a{color:inherit;text-decoration:underline;text-underline-offset:2px}
.bubble code{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:rgba(127,127,127,.16);padding:1px 4px;border-radius:4px}
.bubble pre{overflow-x:auto;padding:8px;background:rgba(127,127,127,.16);border-radius:6px}
.bubble pre code{background:none;padding:0;white-space:pre}
.bubble sup{font-size:11px;line-height:0;margin-left:1px}
.src{margin:6px 0 0;padding:0 4px;font-size:13px;color:var(--muted)}
.src p{margin:0 0 2px;font-weight:600}
.src ul{margin:0;padding:0;list-style:none}
.src li{margin:2px 0}
.err,.note{align-self:stretch;max-width:none;padding:8px 12px;border:1px solid var(--line);border-radius:10px;color:var(--fg)}
.typing{display:inline-flex;gap:4px;padding:6px 2px}
.typing i{width:7px;height:7px;border-radius:50%;background:var(--muted);opacity:.6}
.starters{display:flex;flex-wrap:wrap;gap:8px;padding:0 16px 12px}
.chip{padding:6px 12px;border:1px solid var(--line);border-radius:999px;background:var(--bg);font-size:14px;text-align:left}
.chip:hover{border-color:var(--fg)}
.lead{align-self:stretch;max-width:none;padding:12px;border:1px solid var(--line);border-radius:12px}
.lead p{margin:0 0 8px}
.lead label{display:block;font-size:13px;font-weight:600;margin-bottom:4px}
.row{display:flex;gap:8px}
.lead input{flex:1;min-width:0;padding:8px 10px;border:1px solid var(--muted);border-radius:8px;background:var(--bg);font-size:16px}
.btn{padding:8px 14px;border:0;border-radius:8px;background:var(--p);color:var(--on);font-weight:600}
.link{margin-top:6px;padding:4px 0;border:0;background:none;color:var(--muted);text-decoration:underline;font-size:13px}
.lead .bad{color:var(--fg);font-weight:600;margin:6px 0 0}
.ask{display:flex;align-items:flex-end;gap:8px;padding:10px 12px;border-top:1px solid var(--line)}
.input{flex:1;min-height:40px;max-height:120px;padding:8px 10px;border:1px solid var(--muted);border-radius:10px;background:var(--bg);
font-size:16px;line-height:1.4;resize:none;field-sizing:content}
.input::placeholder{color:var(--muted);opacity:1}
.send{width:40px;height:40px;border-radius:10px;background:var(--p);color:var(--on)}
.send[aria-disabled=true]{opacity:.55;cursor:default}
.brand{margin:0;padding:0 12px 8px;font-size:11px;color:var(--muted);text-align:center}
@media (prefers-reduced-motion:no-preference){
.panel{animation:cloop-in .18s ease-out}
.log{scroll-behavior:smooth}
.typing i{animation:cloop-dot 1s infinite ease-in-out}.typing i:nth-child(2){animation-delay:.15s}.typing i:nth-child(3){animation-delay:.3s}
}
@keyframes cloop-in{from{opacity:0;transform:translateY(12px)}}
@keyframes cloop-dot{50%{opacity:1;transform:translateY(-3px)}}
@media print{.panel{display:none}}
`;

// Vite's `?inline` CSS imports: the stylesheet's text, injected into the shadow root.
declare module '*.css?inline' {
  const css: string;
  export default css;
}

// Vite returns a CSS file's text for `?inline`: uPlot's stylesheet goes into the chart's shadow root.
declare module 'uplot/dist/uPlot.min.css?inline' {
  const css: string;
  export default css;
}

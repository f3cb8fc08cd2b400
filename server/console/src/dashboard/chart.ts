// `<servus-dashboard-chart>`: one uPlot chart in its own shadow root (uPlot injects no styles, so
// its stylesheet is part of this element's static styles), sized to its container, with the same
// figures as a visually hidden table for screen readers.
import { LitElement, css, html, unsafeCSS, type PropertyValues } from 'lit';
import uPlot from 'uplot';
import uplotCss from 'uplot/dist/uPlot.min.css?inline';

export interface ChartTable {
  head: string[];
  rows: (string | number)[][];
}

/** Options without the size: the element measures its container. */
export type ChartOptions = Omit<uPlot.Options, 'width' | 'height'>;

const DEFAULT_HEIGHT = 220;

export class DashboardChart extends LitElement {
  static override properties = {
    options: { attribute: false },
    data: { attribute: false },
    table: { attribute: false },
    label: {},
    height: { type: Number },
  };

  declare options: ChartOptions | null;
  declare data: uPlot.AlignedData | null;
  declare table: ChartTable | null;
  declare label: string;
  declare height: number;

  static override styles = [
    unsafeCSS(uplotCss),
    css`
      :host {
        display: block;
        position: relative;
        min-width: 0;
      }
      .plot {
        width: 100%;
        min-height: 40px;
      }
      .uplot {
        width: 100%;
        font-family: inherit;
      }
      .u-legend {
        font-size: 12px;
        color: var(--muted, #656d76);
        text-align: left;
        padding-left: 8px;
      }
      .u-legend .u-marker {
        border-radius: 2px;
      }
      /*
       * A table is never smaller than its rows (its height is a minimum, its overflow not clipped):
       * hidden by itself it still stretched the page by its full height. A block around it clips it.
       */
      .sr-only {
        position: absolute;
        top: 0;
        left: 0;
        width: 1px;
        height: 1px;
        overflow: hidden;
        clip-path: inset(50%);
        white-space: nowrap;
      }
    `,
  ];

  private _plot: uPlot | null = null;
  private _resize: ResizeObserver | null = null;

  constructor() {
    super();
    this.options = null;
    this.data = null;
    this.table = null;
    this.label = '';
    this.height = DEFAULT_HEIGHT;
  }

  override render() {
    return html`<div class="plot" role="img" aria-label=${this.label}></div>
      ${
        this.table
          ? html`<div class="sr-only">
              <table data-chart-table>
                <caption>
                  ${this.label}
                </caption>
                <thead>
                  <tr>
                    ${this.table.head.map((h) => html`<th scope="col">${h}</th>`)}
                  </tr>
                </thead>
                <tbody>
                  ${this.table.rows.map(
                    (r) =>
                      html`<tr>
                        ${r.map((c) => html`<td>${c}</td>`)}
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
          : null
      }`;
  }

  private get _target(): HTMLElement | null {
    return this.renderRoot.querySelector('.plot');
  }

  private _width(): number {
    return Math.max(200, Math.floor(this._target?.getBoundingClientRect().width || this.getBoundingClientRect().width || 480));
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('options') || changed.has('data') || changed.has('height')) this._draw();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // Charts follow their column's width (window resizes, sidebar toggles).
    this._resize = new ResizeObserver(() => {
      const width = this._width();
      if (this._plot && Math.abs(this._plot.width - width) > 1) this._plot.setSize({ width, height: this.height });
    });
    this._resize.observe(this);
    if (this.hasUpdated) this._draw();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this._resize?.disconnect();
    this._resize = null;
    this._plot?.destroy();
    this._plot = null;
  }

  private _draw(): void {
    this._plot?.destroy();
    this._plot = null;
    const target = this._target;
    if (!target || !this.options || !this.data) return;
    // Small data: drawing anew is simpler and as fast as patching series and scales.
    this._plot = new uPlot({ ...this.options, width: this._width(), height: this.height }, this.data, target);
  }
}

if (!customElements.get('servus-dashboard-chart')) customElements.define('servus-dashboard-chart', DashboardChart);

declare global {
  interface HTMLElementTagNameMap {
    'servus-dashboard-chart': DashboardChart;
  }
}

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import webpack, { type Configuration } from 'webpack';

const REPO_ROOT = resolve(__dirname, '../../..');

/**
 * Bundles the harness page with the webpack and swc-loader the plugins already use (their `.config` is
 * not touched: this is a plain browser bundle, React and @grafana/* included rather than external, since
 * there is no Grafana page to provide them).
 */
export async function buildHarness(outDir = mkdtempSync(join(tmpdir(), 'nocai-harness-'))): Promise<string> {
  const config: Configuration = {
    mode: 'development',
    // Source maps of a bundle this size cost more build time than they save in debugging here.
    devtool: false,
    context: REPO_ROOT,
    entry: join(__dirname, 'index.tsx'),
    output: { path: outDir, filename: 'harness.js' },
    resolve: { extensions: ['.js', '.jsx', '.ts', '.tsx'] },
    module: {
      rules: [
        {
          test: /\.[tj]sx?$/,
          exclude: /node_modules/,
          use: {
            loader: 'swc-loader',
            options: { jsc: { target: 'es2020', parser: { syntax: 'typescript', tsx: true } } },
          },
        },
        // @grafana/ui ships `.mjs` files, which webpack would bundle as strict ES modules: imports without a
        // file extension (the table's GeoCell imports `ol/geom`) would fail, and a default import of a CommonJS
        // package (CustomScrollbar's react-custom-scrollbars-2) would get the whole module object. Grafana
        // bundles its own sources, not these files; read as plain JavaScript they resolve as they do there.
        { test: /\.mjs$/, include: /node_modules/, type: 'javascript/auto', resolve: { fullySpecified: false } },
        { test: /\.css$/, use: ['style-loader', 'css-loader'] },
        { test: /\.(png|jpe?g|gif|svg|woff2?|eot|ttf|otf)$/, type: 'asset/resource' },
      ],
    },
    performance: { hints: false },
    cache: { type: 'filesystem', cacheDirectory: join(tmpdir(), 'nocai-harness-webpack-cache') },
  };
  const stats = await new Promise<webpack.Stats>((done, fail) => {
    const compiler = webpack(config);
    compiler.run((error, result) => {
      compiler.close(() => undefined);
      if (error || !result) {
        fail(error ?? new Error('webpack returned no stats'));
      } else {
        done(result);
      }
    });
  });
  if (stats.hasErrors()) {
    throw new Error(`harness build failed:\n${stats.toString({ all: false, errors: true })}`);
  }
  return outDir;
}

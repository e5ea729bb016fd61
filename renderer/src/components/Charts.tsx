/**
 * Charts (recharts), each with a caption and its numbers in a table for people who cannot see the chart.
 * Animations are off: the charts update live and the screenshots stay stable.
 */
import { useId } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { ChartPoint } from '../../../native/services/api';
import { pct } from '../format';

const COLORS = {
  loss: '#c2410c',
  accuracy: '#1d4ed8',
  before: '#94a3b8',
  after: '#2563eb',
  retrain: '#059669',
};

function Figure(props: { caption: string; children: React.ReactNode; table: React.ReactNode }) {
  const id = useId();
  return (
    <figure className="chart" aria-labelledby={id}>
      <figcaption id={id}>{props.caption}</figcaption>
      {props.children}
      <details>
        <summary>Show the numbers</summary>
        {props.table}
      </details>
    </figure>
  );
}

/** Loss (and accuracy, when measured) over time. */
export function ProgressChart({ points, caption }: { points: ChartPoint[]; caption: string }) {
  const withLoss = points.filter((p) => p.loss !== undefined || p.accuracy !== undefined);
  const hasAccuracy = withLoss.some((p) => p.accuracy !== undefined);
  const data = withLoss.map((p) => ({ t: Number(p.t.toFixed(1)), loss: p.loss, accuracy: p.accuracy }));
  return (
    <Figure
      caption={caption}
      table={
        <table>
          <thead>
            <tr>
              <th scope="col">Seconds</th>
              <th scope="col">Loss</th>
              {hasAccuracy && <th scope="col">Accuracy</th>}
            </tr>
          </thead>
          <tbody>
            {data.map((d) => (
              <tr key={`${d.t}-${d.loss}-${d.accuracy}`}>
                <td>{d.t}</td>
                <td>{d.loss?.toFixed(4) ?? ''}</td>
                {hasAccuracy && <td>{d.accuracy === undefined ? '' : pct(d.accuracy)}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      }
    >
      {data.length === 0 ? (
        <p className="hint">The curve appears with the first measurements.</p>
      ) : (
        <ResponsiveContainer width="100%" height={240}>
          <LineChart data={data} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="t" type="number" domain={['dataMin', 'dataMax']} unit=" s" />
            <YAxis yAxisId="loss" />
            {hasAccuracy && (
              <YAxis yAxisId="acc" orientation="right" domain={[0, 1]} tickFormatter={(v) => pct(v, 0)} />
            )}
            <Tooltip />
            <Legend />
            <Line
              yAxisId="loss"
              type="monotone"
              dataKey="loss"
              name="Loss"
              stroke={COLORS.loss}
              dot={false}
              isAnimationActive={false}
              connectNulls
            />
            {hasAccuracy && (
              <Line
                yAxisId="acc"
                type="monotone"
                dataKey="accuracy"
                name="Accuracy (test sample)"
                stroke={COLORS.accuracy}
                dot
                isAnimationActive={false}
                connectNulls
              />
            )}
          </LineChart>
        </ResponsiveContainer>
      )}
    </Figure>
  );
}

/** Per-class test accuracy before and after (and of the retrained model). */
export function PerClassChart(props: {
  classNames: string[];
  forgetClass: number;
  before: (number | null)[];
  after: (number | null)[];
  retrain?: (number | null)[] | null;
}) {
  const data = props.classNames.map((name, i) => ({
    name: i === props.forgetClass ? `${name} (removed)` : name,
    before: props.before[i] ?? null,
    after: props.after[i] ?? null,
    retrain: props.retrain?.[i] ?? null,
  }));
  return (
    <Figure
      caption="Accuracy on each class’s test images, before and after"
      table={
        <table>
          <thead>
            <tr>
              <th scope="col">Class</th>
              <th scope="col">Before</th>
              <th scope="col">After</th>
              {props.retrain && <th scope="col">Retrained model</th>}
            </tr>
          </thead>
          <tbody>
            {data.map((d) => (
              <tr key={d.name}>
                <th scope="row">{d.name}</th>
                <td>{pct(d.before)}</td>
                <td>{pct(d.after)}</td>
                {props.retrain && <td>{pct(d.retrain)}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      }
    >
      <ResponsiveContainer width="100%" height={260}>
        <BarChart data={data} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="name" />
          <YAxis domain={[0, 1]} tickFormatter={(v) => pct(v, 0)} />
          <Tooltip formatter={(v) => pct(typeof v === 'number' ? v : null)} />
          <Legend />
          <Bar dataKey="before" name="Before" fill={COLORS.before} isAnimationActive={false} />
          <Bar dataKey="after" name="After" fill={COLORS.after} isAnimationActive={false} />
          {props.retrain && (
            <Bar dataKey="retrain" name="Retrained model" fill={COLORS.retrain} isAnimationActive={false} />
          )}
        </BarChart>
      </ResponsiveContainer>
    </Figure>
  );
}

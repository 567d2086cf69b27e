/** Fleet job ids and output templates (no Redis needed). */
import { describe, expect, it } from 'vitest';
import { expandTemplate, jobIdFor, templateValues, type FleetJobData } from '../../src/fleet/jobs.js';

describe('fleet jobs', () => {
  const data: FleetJobData = {
    kind: 'video',
    input: '/logs/a.mp4',
    outputs: { output: '/out/a.mp4' },
    options: { alpha: 0.5, classes: 'road' },
  };

  it('gives the same work the same id, and any other input, option or output another', () => {
    const id = jobIdFor(data, '/logs/a.mp4\u0000100\u00001');
    expect(id).toMatch(/^video-[0-9a-f]{24}$/);
    // Key order does not matter.
    expect(jobIdFor({ ...data, options: { classes: 'road', alpha: 0.5 } }, '/logs/a.mp4\u0000100\u00001')).toBe(id);
    expect(jobIdFor(data, '/logs/a.mp4\u0000101\u00001')).not.toBe(id);
    expect(jobIdFor({ ...data, options: { ...data.options, alpha: 0.6 } }, '/logs/a.mp4\u0000100\u00001')).not.toBe(id);
    expect(jobIdFor({ ...data, outputs: { output: '/out/b.mp4' } }, '/logs/a.mp4\u0000100\u00001')).not.toBe(id);
  });

  it('fills {stem}, {name} and {sequence}, and refuses an unknown field', () => {
    const v = templateValues('/logs/day1/drive.front.mp4', 'image_02');
    expect(v).toEqual({ name: 'drive.front.mp4', stem: 'drive.front', sequence: 'image_02' });
    expect(expandTemplate('/out/{stem}/{sequence}/{name}', v)).toBe('/out/drive.front/image_02/drive.front.mp4');
    expect(() => expandTemplate('/out/{date}.mp4', v)).toThrow(/unknown template field \{date\}/);
  });
});

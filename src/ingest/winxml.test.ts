import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Event, Issue } from '../core/index.ts';
import { detectFormat, readBytes } from './index.ts';
import { flattenWindowsEvent } from './json/windows.ts';
import { windowsXmlFields } from './winxml.ts';

const snapshots = fileURLToPath(
  new URL('../../../shared/data/evtx/omerbenamram-evtx-samples/tests/snapshots/', import.meta.url),
);

/** The body of an insta snapshot (after its `---` header). */
function snapshot(name: string): string {
  const text = readFileSync(`${snapshots}test_record_samples__${name}.snap`, 'utf8');
  return text.slice(text.indexOf('---', 3) + 3).trim();
}

function read(text: string, name = 'export.xml'): { events: Event[]; issues: Issue[] } {
  const batches = [...readBytes(new TextEncoder().encode(text), name, { tenant: 't' })];
  return { events: batches.flatMap((b) => b.events), issues: batches.flatMap((b) => b.issues) };
}

/** Values as text: XML carries no types, the crate's JSON does. */
function asText(fields: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)]));
}

describe('Windows event XML', () => {
  for (const sample of [
    'sample',
    'sample_with_event_data',
    'sample_with_event_data_with_attributes_and_text',
  ]) {
    it(`gives the fields of the evtx crate's JSON for the same record (${sample})`, () => {
      const fromXml = windowsXmlFields(
        snapshot(`event_xml_${sample}`).replace(/^<\?xml[^>]*>\s*/, ''),
      );
      const json = JSON.parse(snapshot(`event_json_${sample}`)) as {
        Event: Record<string, unknown>;
      };
      const fromJson = flattenWindowsEvent(json.Event);
      expect(fromXml).toBeDefined();
      expect(asText(fromXml ?? {})).toEqual(asText(fromJson));
      expect(fromXml?.['EventID']).toBe(fromJson['EventID']);
    });
  }

  it('reads wevtutil-style files: events back to back, entities, a broken event in the middle', () => {
    const one = (id: number, cmd: string): string =>
      `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing'/><EventID>${String(id)}</EventID><TimeCreated SystemTime='2024-05-01T10:00:00.1234567Z'/><EventRecordID>${String(id)}</EventRecordID><Channel>Security</Channel><Computer>ws01</Computer></System><EventData><Data Name='CommandLine'>${cmd}</Data></EventData></Event>`;
    const text = `${one(4688, 'cmd /c &quot;whoami&quot; &amp;&amp; echo')}\n${one(4689, 'x').replace('</System>', '')}\n${one(4690, '')}`;
    expect(detectFormat(new TextEncoder().encode(text))).toBe('xml');
    const { events, issues } = read(text);
    expect(
      events.map((e) => [e.fields['EventID'], e.fields['CommandLine'], e.origin.recordId]),
    ).toEqual([
      [4688, 'cmd /c "whoami" && echo', 1],
      [4690, '', 3],
    ]);
    expect(events[0]?.ts).toBe(Date.UTC(2024, 4, 1, 10, 0, 0, 123));
    expect(events[0]?.source).toEqual({ product: 'windows' });
    expect(events[1]?.origin.offset).toBe(text.lastIndexOf('<Event xmlns'));
    expect(issues.map((i) => [i.code, i.at?.line])).toEqual([['READ_BAD_LINE', 2]]);
  });

  it('reads Event Viewer "Save as XML" files (UTF-16, <Events> wrapper)', () => {
    const xml =
      '\uFEFF<?xml version="1.0" encoding="UTF-16"?>\r\n<Events><Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Service Control Manager"/><EventID Qualifiers="16384">7045</EventID><Channel>System</Channel></System><EventData><Data Name="ServiceName">evil</Data><Data Name="ImagePath">C:\\Users\\Public\\e.exe</Data></EventData></Event></Events>';
    const bytes = new Uint8Array(xml.length * 2);
    for (let i = 0; i < xml.length; i++) {
      bytes[i * 2] = xml.charCodeAt(i) & 0xff;
      bytes[i * 2 + 1] = xml.charCodeAt(i) >> 8;
    }
    const events = [...readBytes(bytes, 'saved.xml', { tenant: 't' })].flatMap((b) => b.events);
    expect(events.map((e) => e.fields)).toEqual([
      {
        Provider_Name: 'Service Control Manager',
        EventID: 7045,
        EventID_Qualifiers: 16384,
        Channel: 'System',
        ServiceName: 'evil',
        ImagePath: 'C:\\Users\\Public\\e.exe',
      },
    ]);
  });
});

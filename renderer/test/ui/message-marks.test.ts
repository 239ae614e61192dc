import { describe, expect, it } from 'vitest';
import {
  mayCollapse,
  offlineHintText,
  previewSayer,
  showOfflineChip,
  timeTitle,
} from '../../src/ui/lib/message-marks';

const ANN = 'ANN0000000000000';
const ME = 'ME00000000000000';

describe('message marks (issue 12, defect 9)', () => {
  it('keeps the offline chip only until the message is stored', () => {
    expect(showOfflineChip({ writtenOffline: true, mine: true, delivery: 'pending' })).toBe(true);
    expect(showOfflineChip({ writtenOffline: true, mine: true, delivery: 'stored' })).toBe(false);
    expect(showOfflineChip({ writtenOffline: true, mine: false, delivery: 'stored' })).toBe(false);
    expect(showOfflineChip({ writtenOffline: false, mine: true, delivery: 'pending' })).toBe(false);
  });

  it('says "written offline" in the time’s tooltip', () => {
    const at = Date.UTC(2026, 11, 7, 9, 30);
    expect(timeTitle({ createdAt: at, writtenOffline: true })).toMatch(/ · written offline$/);
    expect(timeTitle({ createdAt: at, writtenOffline: false })).not.toMatch(/offline/);
  });

  it('does not repeat a DM’s sender under its title; mine say You; channels name the author', () => {
    const dm = { kind: 'dm' as const, dmWith: ANN };
    expect(previewSayer(dm, { authorName: 'Ann', authorId: ANN })).toBeNull();
    expect(previewSayer(dm, { authorName: 'Me', authorId: ME })).toBe('You');
    expect(previewSayer(dm, { authorName: 'Ann' })).toBeNull();
    expect(previewSayer({ kind: 'channel', dmWith: null }, { authorName: 'Ann' })).toBe('Ann');
  });

  it('shows the offline hint when offline or unreachable, not while connecting', () => {
    expect(offlineHintText('offline')).toMatch(
      /offline — messages will be sent when you reconnect/,
    );
    expect(offlineHintText('unreachable')).not.toBeNull();
    expect(offlineHintText('connecting')).toBeNull();
    expect(offlineHintText('online')).toBeNull();
  });

  it('measures only long messages for Show more', () => {
    expect(mayCollapse('short')).toBe(false);
    expect(mayCollapse('x'.repeat(701))).toBe(true);
    expect(mayCollapse(Array.from({ length: 13 }, () => 'line').join('\n'))).toBe(true);
    expect(mayCollapse(Array.from({ length: 12 }, () => 'line').join('\n'))).toBe(false);
  });
});

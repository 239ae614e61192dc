// A conversation pane's files (issue 13): provides the files context to its rows (lib/
// files-context.svelte.ts) and holds the image viewer's state. Made once by ConversationPane.

import type { FerryClient, FileView, MessageView } from '../../data/api';
import { FileUrls, imagesOf, provideFiles, type FilesContext } from './files-context';

export class PaneFiles implements FilesContext {
  /** The image the viewer shows, or null when closed. */
  viewing = $state.raw<{ messageId: string; file: FileView } | null>(null);
  readonly urls: FileUrls;

  constructor(
    private readonly getClient: () => FerryClient,
    private readonly conv: () => string,
    private readonly messages: () => readonly MessageView[],
  ) {
    this.urls = new FileUrls((file) => this.getClient().files.open(this.conv(), file));
    provideFiles(this);
  }

  get api() {
    return this.getClient().files;
  }
  get conversationId() {
    return this.conv();
  }
  get me() {
    return this.getClient().session.userId;
  }

  openImage(messageId: string, file: FileView): void {
    this.viewing = { messageId, file };
  }

  /** The conversation's loaded images, the viewer's ←/→ order. */
  images(): { messageId: string; file: FileView }[] {
    return imagesOf(this.messages());
  }
}

/** A loaded model: its sessions, and the conversations created on it, all released by dispose(). */
import { completeText } from '../chat/completion';
import { ChatConversation } from '../chat/conversation';
import type { ModelRuntime } from '../chat/model-runtime';
import { GlimpseError } from '../errors';
import type { OrtSession } from '../runtime/ort';
import type {
  ChatMessage,
  Conversation,
  ConversationOptions,
  GenerateEvent,
  GenerateOptions,
  LoadedModel,
  ModelInfo,
} from '../types';

export class EngineModel implements LoadedModel {
  private readonly conversations = new Set<ChatConversation>();
  private disposed = false;

  readonly info: ModelInfo;
  private readonly runtime: ModelRuntime;
  private readonly sessions: readonly OrtSession[];

  constructor(info: ModelInfo, runtime: ModelRuntime, sessions: readonly OrtSession[]) {
    this.info = info;
    this.runtime = runtime;
    this.sessions = sessions;
  }

  createConversation(
    options: ConversationOptions & { readonly history?: readonly ChatMessage[] } = {},
  ): Conversation {
    this.assertOpen();
    if (!this.runtime.codec.hasChatTemplate) {
      throw new GlimpseError(
        'package-invalid',
        `The model package ${this.info.location} has no chat template, so it cannot chat; use text completion instead.`,
        { details: { file: 'tokenizer_config.json', field: 'chat_template' } },
      );
    }
    const conversation = new ChatConversation(this.runtime, options, (closed) =>
      this.conversations.delete(closed),
    );
    this.conversations.add(conversation);
    return conversation;
  }

  complete(prompt: string, options?: GenerateOptions): AsyncIterable<GenerateEvent> {
    this.assertOpen();
    return completeText(this.runtime, prompt, options);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const conversation of [...this.conversations]) conversation.dispose();
    await Promise.all([
      ...this.sessions.map((session) => session.release()),
      ...(this.runtime.staticDecoder ? [this.runtime.staticDecoder.release()] : []),
    ]);
  }

  private assertOpen(): void {
    if (this.disposed) throw new GlimpseError('internal', 'This model was unloaded.');
  }
}

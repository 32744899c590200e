/** The three kinds of answer in LLaVA's instruction data, offered as starting prompts. */
export const presets = [
  { id: 'describe', label: 'Describe in detail', prompt: 'Describe this image in detail.' },
  {
    id: 'reason',
    label: 'Reason step by step',
    prompt: 'What is happening in this image, and why? Reason step by step.',
  },
  { id: 'converse', label: 'Just chat', prompt: 'What do you notice first in this picture?' },
] as const;

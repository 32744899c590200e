import { describe, expect, it } from 'vitest';
import { checkImports } from './check-imports';

const check = (files: Record<string, string>) => checkImports(new Map(Object.entries(files)));

describe('the layer rules for our own imports', () => {
  it('lets the UI import engine, worker and storage modules as types only', () => {
    const found = check({
      'src/ui/a/Thing.tsx': [
        "import type { Conversation } from '../../engine/types';",
        "import { GlimpseError } from '../../engine/errors';",
        "import { probe } from '../../storage/hub-plan';",
        "import { call } from '../../worker/worker-client';",
        "import { useAppState } from '../app-context';",
        "import { formatBytes } from '../../state/stored-models';",
      ].join('\n'),
    });
    expect(found.map((v) => v.target)).toEqual([
      'src/engine/errors',
      'src/storage/hub-plan',
      'src/worker/worker-client',
    ]);
  });

  it('keeps src/ from importing tools/ or bench/, dynamic imports and type imports included', () => {
    const found = check({
      'src/cli/bench.ts': "const m = await import('../../tools/packages/synthetic-interleave');",
      'src/cli/report.ts': "import type { BenchPlan } from '../../bench/lib/plan';",
      'tools/packages/x.ts': "import { GraphBuilder } from '../../src/toolkit/onnx/graph';",
    });
    expect(found.map((v) => v.file)).toEqual(['src/cli/bench.ts', 'src/cli/report.ts']);
  });

  it('lets only tests and other fixtures import a test fixture', () => {
    const found = check({
      'tools/packages/lookalike/parts.ts':
        "import { byteToUnicode } from '../../../src/engine/text/byte-level-fixture';",
      'src/engine/text/codec.test.ts': "import { byteToUnicode } from './byte-level-fixture';",
      'src/storage/test-model-server.ts': "import { x } from '../testing/bad-images';",
      'src/ui/image/header.test.ts': "import { badImages } from '../../testing/bad-images';",
      'e2e/chat.spec.ts': "import { photoPath } from './fixtures';",
    });
    expect(found.map((v) => v.file)).toEqual(['tools/packages/lookalike/parts.ts']);
  });
});

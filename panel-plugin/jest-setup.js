// Jest setup provided by Grafana scaffolding
import './.config/jest-setup';

// jsdom gaps that @grafana/ui's Combobox runs into (the scaffold's shared setup stubs getContext to return
// nothing): it measures option labels on a canvas and watches its menu with an IntersectionObserver.
HTMLCanvasElement.prototype.getContext = () => ({ measureText: (text) => ({ width: text.length * 8 }) });

class IntersectionObserverStub {
  observe() {}
  unobserve() {}
  disconnect() {}
  takeRecords() {
    return [];
  }
}
Object.defineProperty(global, 'IntersectionObserver', { writable: true, value: IntersectionObserverStub });

// An expanded row renders many @grafana/ui inputs, which jsdom lays out slowly; on a busy 2-core CI runner
// the default 1 s of findBy/waitFor can pass before a resolved request has re-rendered (5 s did too, beside
// two other test runs: an expanded row's comment took 5.7 s). Tests still wait on conditions, only for
// longer; a condition that never holds fails after 30 s.
require('@testing-library/react').configure({ asyncUtilTimeout: 30000 });

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

import Synchronization

/// Wakes the dispatcher: a commit that made due deliveries, a finished send that freed a slot, or
/// shutdown. Wakes that come while nobody waits are kept (once), so none is lost.
public final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        var stopped = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    public init() {}

    public func wake() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Ends every wait now and later.
    public func stop() {
        state.withLock { $0.stopped = true }
        wake()
    }

    public var isStopped: Bool { state.withLock { $0.stopped } }

    /// Returns at the next wake, or after `timeout`, whichever is first.
    public func wait(timeout: Duration) async {
        let timer = Task {
            try? await Task.sleep(for: timeout)
            self.wake()
        }
        defer { timer.cancel() }
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state -> Bool in
                if state.pending || state.stopped {
                    state.pending = false
                    return true
                }
                state.waiter = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}

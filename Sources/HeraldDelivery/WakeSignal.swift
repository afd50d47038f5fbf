import Foundation
import HeraldCore
import Synchronization

/// Wakes the dispatcher's loop: work announced by the queue, a finished send that freed a slot,
/// or shutdown. Wakes that come while the loop is busy are kept (once), so none is lost.
final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        var stopped = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    func wake() {
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
    func stop() {
        state.withLock { $0.stopped = true }
        wake()
    }

    var isStopped: Bool { state.withLock { $0.stopped } }

    /// Returns at the next wake, once `deadline` has come on `clock`, or when the task is
    /// cancelled, whichever is first.
    func wait(until deadline: Date, on clock: HeraldClock) async {
        let timer = Task {
            if (try? await clock.sleepUntil(deadline)) != nil { self.wake() }
        }
        defer { timer.cancel() }
        await withTaskCancellationHandler {
            await suspend()
        } onCancel: {
            self.wake()
        }
    }

    private func suspend() async {
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

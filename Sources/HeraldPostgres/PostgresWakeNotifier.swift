import HeraldCore
import Logging
import PostgresNIO
import Synchronization

/// Sends the NOTIFY that wakes the workers of every process after ingests commit, outside
/// their statements (see ``PostgresStore/client(url:maxConnections:)``). Coalesced: one NOTIFY
/// at a time, and the commits made while it is sent share the next one, so a busy ingest costs
/// a NOTIFY per round trip rather than per group. Nobody waits for it: the committing process
/// wakes its own workers at once. A NOTIFY that fails, or is dropped when the process exits,
/// delays other processes' workers to their next poll (`idlePoll`); nothing is lost. Waiting for
/// a pooled connection gives up after 5 s; a NOTIFY already sent waits for its connection's
/// answer or failure (PostgresNIO does not cancel a query under way), meanwhile later ones
/// coalesce behind it.
final class WakeNotifier: Sendable {
    private let client: PostgresClient
    private let logger: Logger
    /// Whether a NOTIFY is being sent, and whether another is owed after it.
    private let state = Mutex((sending: false, owed: false))

    init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    func notify() {
        let start = state.withLock { state in
            if state.sending {
                state.owed = true
                return false
            }
            state.sending = true
            return true
        }
        guard start else { return }
        Task {
            repeat {
                let sent = await withDeadline(.seconds(5)) {
                    do {
                        try await PostgresStore.notifyWorkers(client: self.client, logger: self.logger)
                        return true
                    } catch {
                        return false
                    }
                }
                if sent != true { self.logger.debug("a wake NOTIFY failed or timed out") }
            } while state.withLock { state in
                state.sending = state.owed
                state.owed = false
                return state.sending
            }
        }
    }
}

import HeraldCore
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// LISTENs on ``PostgresStore/wakeChannel`` and announces every NOTIFY on the store's
/// ``WorkSignal``, so a worker in any process starts on new deliveries at once instead of at its
/// next poll.
struct PostgresWakeListener: StoreCompanion {
    let client: PostgresClient
    let logger: Logger
    let work: WorkSignal

    public func run() async throws {
        // Cancelled on graceful shutdown: nothing of it needs finishing.
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await client.withConnection { connection in
                        try await connection.listen(on: PostgresStore.wakeChannel) { notifications in
                            // NOTIFYs sent while no LISTEN ran are lost: look for work once.
                            work.announce()
                            for try await _ in notifications { work.announce() }
                        }
                    }
                } catch is CancellationError {
                    return
                } catch {
                    if Task.isCancelled { return }
                    logger.warning("LISTEN failed; retrying", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }
}

/// Sends the NOTIFY that wakes the workers of every process after ingests commit, outside
/// their statements (see ``PostgresStore/client(url:maxConnections:)``). Coalesced: one NOTIFY
/// at a time, and the commits made while it is sent share the next one, so a busy ingest costs
/// a NOTIFY per round trip rather than per group. A NOTIFY lost (a failure, or one past its
/// 5 s deadline) delays other processes' workers to their next poll; nothing is lost.
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
                        try await self.client.query(
                            "SELECT pg_notify(\(PostgresStore.wakeChannel), '')", logger: self.logger)
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

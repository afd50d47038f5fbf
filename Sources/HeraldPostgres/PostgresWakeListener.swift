import HeraldCore
import Logging
import PostgresNIO
import ServiceLifecycle

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

import Logging
import PostgresNIO
import ServiceLifecycle

/// LISTENs on ``PostgresStore/wakeChannel`` and calls `wake` for every NOTIFY, so a worker in any
/// process starts on new deliveries at once instead of at its next poll.
public struct PostgresWakeListener: Service {
    let client: PostgresClient
    let logger: Logger
    let wake: @Sendable () -> Void

    public init(client: PostgresClient, logger: Logger, wake: @escaping @Sendable () -> Void) {
        self.client = client
        self.logger = logger
        self.wake = wake
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            while !Task.isCancelled {
                do {
                    try await client.withConnection { connection in
                        try await connection.listen(on: PostgresStore.wakeChannel) { notifications in
                            for try await _ in notifications { wake() }
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
        } onGracefulShutdown: {
        }
    }
}

import Foundation
import HeraldCore
import HeraldDelivery
import Logging
import Metrics
import ServiceLifecycle

/// Purges old events with their deliveries and attempts in the background (``Retention``).
struct RetentionService<Store: EventStore>: Service {
    let store: Store
    let retention: Retention
    let clock: HeraldClock
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let now = clock.now()
                    let purged = try await StoreLatency.measure(.purge) { try await retention.purge(store, now: now) }
                    logger.trace("retention ran", metadata: ["events": "\(purged)", "now": "\(Timestamp.iso(now))"])
                    if purged > 0 {
                        Counter(label: "herald_events_purged_total").increment(by: purged)
                        logger.info("purged old events", metadata: ["events": "\(purged)"])
                    }
                } catch is CancellationError {
                    return
                } catch {
                    logger.error("purging old events failed", metadata: ["error": "\(error)"])
                }
                do {
                    try await clock.sleepUntil(clock.now().addingTimeInterval(retention.interval))
                } catch {
                    return
                }
            }
        }
    }
}

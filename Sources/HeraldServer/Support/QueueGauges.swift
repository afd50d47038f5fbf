import Foundation
import HeraldCore
import Metrics
import Synchronization

/// The queue's figures as gauges, set at each `/metrics` scrape from ``QueueStats``.
///
/// The per-tenant gauges name only the busiest tenants of this scrape; a tenant that dropped out
/// has its gauge removed, so the label set stays bounded by ``QueueStats/busiest`` however many
/// tenants come and go.
final class QueueGauges: Sendable {
    /// The tenants each per-tenant gauge named at the last scrape.
    private let named = Mutex<[String: Set<UUID>]>([:])
    private let factory: any MetricsFactory
    /// Whether the per-tenant gauges are kept (`--metrics-per-tenant`): they name tenants to
    /// whoever can read `/metrics`.
    private let perTenant: Bool

    init(perTenant: Bool, factory: any MetricsFactory = MetricsSystem.factory) {
        self.perTenant = perTenant
        self.factory = factory
    }

    func record(_ stats: QueueStats, now: Date) {
        Gauge(label: "herald_deliveries_due", factory: factory).record(stats.dueNow)
        Gauge(label: "herald_deliveries_scheduled", factory: factory).record(stats.scheduled)
        Gauge(label: "herald_deliveries_in_flight", factory: factory).record(stats.inFlight)
        Gauge(label: "herald_oldest_due_age_seconds", factory: factory).record(
            stats.oldestDue.map { max(0, now.timeIntervalSince($0)) } ?? 0)
        Gauge(label: "herald_circuits_open", factory: factory).record(stats.openCircuits)
        guard perTenant else { return }
        record("herald_tenant_deliveries_due", stats.dueByTenant)
        record("herald_tenant_circuits_open", stats.openCircuitsByTenant)
    }

    /// Under the lock: two scrapes at once must not re-create a series the other just removed.
    private func record(_ label: String, _ counts: [UUID: Int]) {
        named.withLock { named in
            for tenant in named[label, default: []].subtracting(counts.keys) {
                Gauge(label: label, dimensions: [("tenant", tenant.text)], factory: factory).destroy()
            }
            named[label] = Set(counts.keys)
            for (tenant, count) in counts {
                Gauge(label: label, dimensions: [("tenant", tenant.text)], factory: factory).record(count)
            }
        }
    }
}

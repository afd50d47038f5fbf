import Foundation

/// The body a delivery carries, in its webhook's dialect.
public enum DeliveryBody {
    public static func render(_ job: DispatchJob) -> JSONValue {
        switch job.webhook.dialect {
        case .channex:
            ChannexPayload.body(
                event: job.event, deliveredName: job.delivery.eventName, ariFilters: job.delivery.ariFilters,
                sendData: job.webhook.sendData)
        case .octo:
            OctoPayload.body(event: job.event, webhook: job.webhook, supplier: job.tenant.octoSupplier)
        }
    }
}

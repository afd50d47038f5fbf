import Benchmark
import Foundation
import HeraldCore

/// The pure parts of the event path, alone: matching an event against a property's webhooks,
/// rendering a delivery body, and signing it. Run with `swift package benchmark`.
let benchmarks: @Sendable () -> Void = {
    let now = Date()
    let tenant = UUID()
    let property = UUID()
    let masks = ["*", "booking", "booking_new", "message", "review", "ari;booking_cancellation"]
    let routes = (0..<10).map { n in
        WebhookRoute(
            id: UUID(), tenantId: tenant, propertyId: n == 9 ? nil : property, isGlobal: n == 9, isActive: true,
            receivesTestEvents: false, eventMask: try! EventMask(parsing: masks[n % masks.count]),
            callbackURL: "https://hooks.example.com/\(n)")
    }
    let event = Event(
        tenantId: tenant, propertyId: property, name: "booking_new",
        payload: ["booking_id": "b-1", "revision_id": "r-1", "property_id": .string(property.text)],
        occurredAt: now, createdAt: now)
    let webhook = Webhook(
        tenantId: tenant, propertyId: property, isGlobal: false, callbackURL: "https://hooks.example.com/1",
        eventMask: try! EventMask(parsing: "*"), isActive: true, sendData: true,
        secrets: [SigningSecret(value: KeyMaterial.newSigningSecret())], createdAt: now, updatedAt: now)
    let job = DispatchJob(
        delivery: Delivery(
            eventId: event.id, webhookId: webhook.id, tenantId: tenant, eventName: "booking_new", ariFilters: [],
            nextAttemptAt: now, createdAt: now),
        event: event, webhook: webhook, tenant: Tenant(id: tenant, name: "Acme", createdAt: now))
    let body = DeliveryBody.render(job).encoded()
    let secret = webhook.secrets[0].value
    let box = SecretBox(current: try! SecretBox.Key(base64: SecretBox.Key.generate()))
    var credentialed = webhook
    credentialed.callbackURL = "https://partner:password@hooks.example.com/1?token=t"
    credentialed.headers = ["Authorization": "Bearer token"]
    let clearColumns = SecretColumns(credentialed, box: .clear)
    let sealedColumns = SecretColumns(credentialed, box: box)

    Benchmark("Match an event among a property's ten webhooks") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(FanOut.targets(of: event, among: routes))
        }
    }

    Benchmark("Match an event and make its deliveries") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(FanOut.deliveries(of: event, among: routes, now: now))
        }
    }

    Benchmark("Render a Channex delivery body") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(DeliveryBody.render(job).encoded())
        }
    }

    Benchmark("Sign a delivery body") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(Signer.signature(id: job.delivery.id, timestamp: 1_700_000_000, body: body, secret: secret))
        }
    }

    // What a store does to a webhook's secret columns on each read, in clear and sealed: the cost
    // HERALD_ENCRYPTION_KEY adds to a claim or a webhook read.
    Benchmark("Read a webhook's secret columns, in clear") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try clearColumns.opened(webhookId: credentialed.id, box: .clear))
        }
    }

    Benchmark("Read a webhook's secret columns, sealed") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try sealedColumns.opened(webhookId: credentialed.id, box: box))
        }
    }

    Benchmark("Write a webhook's secret columns, sealed") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(SecretColumns(credentialed, box: box))
        }
    }
}

import HeraldCore
import Testing

@Suite struct OctoUnitTests {
    @Test func replaceAddAndRemoveWithPointerPaths() {
        let old: JSONValue = ["status": "ON_HOLD", "notes": "x", "units": [["id": 1], ["id": 2]], "a/b": 1]
        let new: JSONValue = ["status": "CONFIRMED", "units": [["id": 1]], "contact": ["name": "Jane"], "a/b": 2]
        #expect(
            JSONDiff.diff(from: old, to: new) == [
                ["op": "replace", "path": "/a~1b", "was": 1, "value": 2],
                ["op": "add", "path": "/contact", "value": ["name": "Jane"]],
                ["op": "remove", "path": "/notes", "was": "x"],
                ["op": "replace", "path": "/status", "was": "ON_HOLD", "value": "CONFIRMED"],
                ["op": "remove", "path": "/units/1", "was": ["id": 2]],
            ])
        #expect(JSONDiff.diff(from: new, to: new) == [])
    }

    @Test func entitiesAreFoundByTheirIds() {
        let booking = OctoEntity.of(event: "booking_update", payload: ["booking": ["uuid": "b-1"]])
        #expect(booking?.kind == "booking")
        #expect(booking?.id == "b-1")
        let availability = OctoEntity.of(
            event: "availability_update",
            payload: ["availability": ["id": "2022-05-23"], "productId": "p", "optionId": "o"])
        #expect(availability?.id == "p|o|2022-05-23")
        #expect(OctoEntity.of(event: "booking_new", payload: ["booking": ["uuid": "b-1"]]) == nil)
        #expect(OctoEntity.of(event: "booking_update", payload: ["booking": ["status": "X"]]) == nil)
    }

    @Test func eventNamesNormaliseFromEveryDocumentedSpelling() {
        for text in ["booking_update", "booking.updated", "BOOKING_UPDATE", "Booking.Updated"] {
            #expect(OctoWebhookWriteModel.normalise(event: text) == "booking_update")
        }
        #expect(OctoWebhookWriteModel.normalise(event: "transfer_update") == nil)
    }

    @Test func capabilitiesComeFromTheHeaderWithCartForOrders() {
        #expect(
            OctoWebhookWriteModel.capabilities(
                header: ["octo/webhooks", "octo/pricing"], body: ["octo/content"], event: "booking_update") == [
                    "octo/pricing"
                ])
        #expect(
            OctoWebhookWriteModel.capabilities(
                header: ["octo/webhooks"], body: ["octo/content"], event: "booking_update") == ["octo/content"])
        #expect(
            OctoWebhookWriteModel.capabilities(header: ["octo/webhooks"], body: nil, event: "order_update") == [
                "octo/cart"
            ])
    }
}

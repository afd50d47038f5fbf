import Foundation

/// Sample payloads for test messages (`POST /webhooks/test`), from the Channex documentation.
public enum SampleEvents {
    /// The event a test message for `mask` carries: the first event it names (`booking_new` for `*`).
    public static func name(for mask: EventMask) -> String {
        if mask.matchesEverything { return "booking_new" }
        switch mask.items.first {
        case .event(let name): return name
        case .ari: return "ari"
        case nil: return "booking_new"
        }
    }

    /// What a publisher posts with an OCTO event: the entity under its key (the Ventrata examples,
    /// trimmed).
    public static func octoPayload(for event: String) -> JSONValue {
        switch event {
        case "availability_update":
            return [
                "availability": [
                    "id": "2022-05-23T00:00:00+01:00", "localDateTimeStart": "2022-05-23T00:00:00+01:00",
                    "localDateTimeEnd": "2022-05-24T00:00:00+01:00", "allDay": false, "available": true,
                    "status": "AVAILABLE", "vacancies": 10, "capacity": 10,
                ],
                "productId": "prod-001", "optionId": "opt-001",
            ]
        case "order_update":
            return ["order": ["id": "0d9e3b1c-8e4f-4b43-9f43-5d5a2a8b2c11", "status": "CONFIRMED", "bookings": []]]
        case "product_update":
            return ["product": ["id": "prod-001", "internalName": "Castle tour", "options": []]]
        default:
            return [
                "booking": [
                    "uuid": "559aed3d-6d5b-4fe0-bfca-99f5e7218a56", "testMode": false, "status": "CONFIRMED",
                    "supplierReference": "XOPSUT", "utcCreatedAt": "2022-05-25T10:34:22Z",
                    "utcUpdatedAt": "2022-05-25T10:40:01Z", "productId": "6b903d44-dc24-4ca4-ae71-6bde6c4f4854",
                    "optionId": "DEFAULT", "availabilityId": "2022-06-01T10:00:00+01:00",
                    "contact": ["fullName": "Jane Doe", "emailAddress": "jane@example.com", "locales": ["en-GB"]],
                    "unitItems": [],
                ]
            ]
        }
    }

    public static func payload(for event: String, propertyId: UUID) -> JSONValue {
        let property = JSONValue.string(propertyId.text)
        switch event {
        case "ari":
            return [
                [
                    "availability": 5, "booked": 7, "date": "2021-12-02",
                    "rate_plan_id": "04c607e4-644d-45ea-ab1a-da920ee36e50",
                    "room_type_id": "27e24739-239c-4619-9c30-0dc390f5d7ac", "stop_sell": false,
                ]
            ]
        case "booking", "booking_new", "booking_modification", "booking_cancellation", "non_acked_booking":
            return [
                "booking_id": "e10de9d1-3e2c-431c-b88c-ffca9ed5db5d", "property_id": property,
                "revision_id": "80b3b60c-5e24-35c5-ad1b-da67cd704093",
            ]
        case "booking_unmapped_room", "booking_unmapped_rate":
            return [
                "booking_id": "4995a8d5-552b-4d6c-acc5-cc8ca45bd32a",
                "booking_revision_id": "8a5c7299-611e-4b57-a703-7e146b538750",
            ]
        case "message":
            return [
                "id": "e10b1d2d-ac82-46f3-810f-a18514eca3e1", "message": "Thanks a lot.", "meta": nil,
                "sender": "guest", "property_id": property, "booking_id": "c680428a-573a-4969-bcd8-c92d16cff54a",
            ]
        default:
            return ["property_id": property, "test": true]
        }
    }
}

#!/usr/bin/env python3
"""An Open311 GeoReport v2 client written from the specification alone (http://wiki.open311.org/GeoReport_v2),
used as an independent check of gridwork's /open311/v2 endpoint. Standard library only.

    open311_client.py BASE_URL REPORTER_KEY READER_KEY LAT LONG

BASE_URL is the server root (http://127.0.0.1:PORT). REPORTER_KEY posts requests; READER_KEY (a key that sees every
request, e.g. the dispatch centre's) lists them. LAT/LONG is a point inside the jurisdiction. It posts requests with
and without a description and with a photo (multipart/form-data, built by hand), lists them with each filter, reads
each one, in JSON and in XML, and checks the field names and types the specification gives. Prints one line per
check; exits 1 on the first failure, naming it.
"""
import json
import struct
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET
import zlib

BASE, REPORTER, READER, LAT, LONG = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
ROOT = BASE + "/open311/v2"

# The fields of the specification, in its order.
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
REQUEST_FIELDS = ["service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"]
POST_FIELDS = ["service_request_id", "service_notice", "account_id"]
DISCOVERY_FIELDS = ["changeset", "contact", "key_service", "endpoints"]
ENDPOINT_FIELDS = ["specification", "url", "changeset", "type", "formats"]


def check(condition, what):
    if not condition:
        print("FAIL: " + what)
        sys.exit(1)
    print("ok: " + what)


def call(method, url, body=None, headers=None):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.headers.get("Content-Type", ""), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()


def parse(fmt, content_type, data):
    """A JSON answer as Python values; an XML answer as an ElementTree root."""
    if fmt == "json":
        check(content_type.startswith("application/json"), "JSON answer has Content-Type application/json: " + content_type)
        return json.loads(data)
    check(content_type.startswith("text/xml") or content_type.startswith("application/xml"),
          "XML answer has an XML Content-Type: " + content_type)
    return ET.fromstring(data)


def xml_records(root, root_name, item_name):
    """[{field: text}] from <root_name><item_name><field>text</field>...</item_name>...</root_name>."""
    check(root.tag == root_name, "XML root is <%s> (got <%s>)" % (root_name, root.tag))
    records = []
    for item in root:
        check(item.tag == item_name, "XML <%s> holds <%s> elements (got <%s>)" % (root_name, item_name, item.tag))
        records.append([(child.tag, child.text or "") for child in item])
    return records


def get(path, fmt, key=None, **params):
    if key:
        params["api_key"] = key
    query = ("?" + urllib.parse.urlencode(params)) if params else ""
    status, content_type, data = call("GET", "%s/%s.%s%s" % (ROOT, path, fmt, query))
    return status, parse(fmt, content_type, data)


def png(width, height):
    """A real PNG image (signature, IHDR, IDAT, IEND), as the PNG specification builds it."""
    raw = b"".join(b"\x00" + bytes([40, 160, 60] * width) for _ in range(height))

    def chunk(kind, payload):
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def multipart(fields, files):
    """RFC 7578 multipart/form-data: fields [(name, value)], files [(name, filename, content_type, bytes)]."""
    boundary = "open311-client-" + uuid.uuid4().hex
    body = b""
    for name, value in fields:
        body += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n" % (boundary, name, value)).encode()
    for name, filename, content_type, content in files:
        body += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\nContent-Type: %s\r\n\r\n"
                 % (boundary, name, filename, content_type)).encode() + content + b"\r\n"
    body += ("--%s--\r\n" % boundary).encode()
    return body, "multipart/form-data; boundary=" + boundary


def post(fmt, fields, files=None):
    """POST requests.FMT, form-encoded or (with files) multipart; the api_key is one of the fields, as in the spec."""
    if files:
        body, content_type = multipart(fields, files)
    else:
        body, content_type = urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"
    status, answer_type, data = call("POST", "%s/requests.%s" % (ROOT, fmt), body, {"Content-Type": content_type})
    return status, parse(fmt, answer_type, data)


def post_answer(fmt, answer):
    """The service_request_id of a POST answer, checking its fields."""
    if fmt == "json":
        check(isinstance(answer, list) and len(answer) == 1, "POST answer is an array of one")
        entry = answer[0]
        check(all(k in entry for k in POST_FIELDS[:2]), "POST answer has service_request_id and service_notice")
        check(isinstance(entry["service_request_id"], str), "service_request_id is a string")
        return entry["service_request_id"]
    records = xml_records(answer, "service_requests", "request")
    check(len(records) == 1, "POST XML answer has one <request>")
    names = [name for name, _ in records[0]]
    check(names[:2] == POST_FIELDS[:2], "POST XML fields begin service_request_id, service_notice: %s" % names)
    return dict(records[0])["service_request_id"]


def check_request_json(entry, what):
    check(list(entry.keys()) == REQUEST_FIELDS or set(entry.keys()) == set(REQUEST_FIELDS),
          "%s: JSON request has exactly the spec's fields" % what)
    check(entry["status"] in ("open", "closed"), "%s: status is open or closed" % what)
    check(isinstance(entry["lat"], float) and isinstance(entry["long"], float), "%s: lat and long are numbers" % what)
    for name in REQUEST_FIELDS:
        if name not in ("lat", "long"):
            check(isinstance(entry[name], str), "%s: %s is a string" % (what, name))
    check("T" in entry["requested_datetime"], "%s: requested_datetime is a W3C date-time" % what)


def check_request_xml(record, what):
    names = [name for name, _ in record]
    check(names == REQUEST_FIELDS, "%s: XML request has the spec's fields in its order" % what)
    values = dict(record)
    check(values["status"] in ("open", "closed"), "%s: XML status is open or closed" % what)
    float(values["lat"]), float(values["long"])
    return values


def requests(fmt, key, **params):
    status, answer = get("requests", fmt, key, **params)
    check(status == 200, "GET requests.%s %s answers 200 (got %d)" % (fmt, params, status))
    if fmt == "json":
        for entry in answer:
            check_request_json(entry, "list")
        return {entry["service_request_id"]: entry for entry in answer}
    return {values["service_request_id"]: values
            for values in (check_request_xml(r, "list") for r in xml_records(answer, "service_requests", "request"))}


def main():
    # Discovery.
    status, discovery = get("discovery", "json")
    check(status == 200 and all(k in discovery for k in DISCOVERY_FIELDS), "discovery.json has %s" % DISCOVERY_FIELDS)
    endpoint = discovery["endpoints"][0]
    check(all(k in endpoint for k in ENDPOINT_FIELDS), "discovery endpoint has %s" % ENDPOINT_FIELDS)
    check(endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2", "endpoint specification is GeoReport v2")
    check(endpoint["type"] in ("production", "test"), "endpoint type is production or test")
    check("application/json" in endpoint["formats"] and "text/xml" in endpoint["formats"], "both formats are listed")
    status, root = get("discovery", "xml")
    check(root.tag == "discovery" and [c.tag for c in root] == DISCOVERY_FIELDS, "discovery.xml has the spec's elements")
    check([f.text for f in root.find("endpoints/endpoint/formats")] == endpoint["formats"], "discovery.xml formats match")

    # Services, in both formats.
    status, services = get("services", "json")
    check(status == 200 and len(services) > 0, "services.json lists services")
    for service in services:
        check(all(k in service for k in SERVICE_FIELDS), "service %s has the spec's fields" % service.get("service_code"))
        check(isinstance(service["metadata"], bool), "metadata is a boolean")
        check(service["type"] in ("realtime", "batch", "blackbox"), "type is realtime, batch or blackbox")
    status, root = get("services", "xml")
    xml_services = xml_records(root, "services", "service")
    check([[n for n, _ in s] for s in xml_services] == [SERVICE_FIELDS] * len(services), "services.xml fields in the spec's order")
    check([dict(s)["service_code"] for s in xml_services] == [s["service_code"] for s in services], "both formats list the same services")
    code = "garbage" if any(s["service_code"] == "garbage" for s in services) else services[0]["service_code"]
    other = next(s["service_code"] for s in services if s["service_code"] != code)
    status, definition = get("services/" + code, "json")
    check(status == 200 and definition["service_code"] == code and isinstance(definition["attributes"], list),
          "services/%s.json is a service definition" % code)
    status, root = get("services/" + code, "xml")
    check(root.tag == "service_definition" and root.find("service_code").text == code and root.find("attributes") is not None,
          "services/%s.xml is a <service_definition>" % code)

    # Posting: with a description (JSON), without (XML), with a photo (JSON and XML).
    base = [("api_key", REPORTER), ("service_code", code), ("lat", LAT), ("long", LONG)]
    status, answer = post("json", base + [("description", "bins overflowing"), ("email", "resident@example.cn")])
    check(status in (200, 201), "POST requests.json with a description (got %d)" % status)
    with_text = post_answer("json", answer)
    status, answer = post("xml", [("api_key", REPORTER), ("service_code", other), ("lat", LAT), ("long", LONG)])
    check(status in (200, 201), "POST requests.xml without a description (got %d)" % status)
    without_text = post_answer("xml", answer)
    photo = png(3, 2)
    status, answer = post("json", base + [("description", "photo report")], [("media", "photo.png", "image/png", photo)])
    check(status in (200, 201), "POST requests.json multipart with a media photo (got %d)" % status)
    with_photo = post_answer("json", answer)
    status, answer = post("xml", base, [("media", "only.png", "image/png", photo)])
    check(status in (200, 201), "POST requests.xml multipart, photo only (got %d)" % status)
    photo_only = post_answer("xml", answer)
    ids = [with_text, without_text, with_photo, photo_only]
    check(len(set(ids)) == 4, "four distinct service_request_ids")
    status, errors = post("json", [("api_key", REPORTER), ("service_code", "no-such-service"), ("lat", LAT), ("long", LONG)])
    check(status == 400 and isinstance(errors, list) and set(errors[0]) == {"code", "description"} and errors[0]["code"] == 400,
          "an unknown service_code is 400 with the error array")
    status, errors = post("xml", [("api_key", REPORTER), ("service_code", "no-such-service"), ("lat", LAT), ("long", LONG)])
    check(status == 400 and errors.tag == "errors" and errors.find("error/code").text == "400"
          and errors.find("error/description").text, "... and <errors><error><code/><description/> in XML")

    # Reading each one, in both formats.
    read = {}
    for request_id in ids:
        status, answer = get("requests/" + request_id, "json", READER)
        check(status == 200 and len(answer) == 1, "GET requests/%s.json" % request_id)
        check_request_json(answer[0], "request " + request_id)
        status, root = get("requests/" + request_id, "xml", READER)
        values = check_request_xml(xml_records(root, "service_requests", "request")[0], "request %s (XML)" % request_id)
        entry = answer[0]
        check(all(values[k] == entry[k] for k in REQUEST_FIELDS if k not in ("lat", "long"))
              and abs(float(values["lat"]) - entry["lat"]) < 1e-9, "request %s: JSON and XML agree" % request_id)
        read[request_id] = entry
    check(read[with_text]["description"] == "bins overflowing", "the description is kept")
    check(read[without_text]["description"] == "", "no description is an empty description")
    check(read[without_text]["service_code"] == other, "service_code is kept")
    for request_id in (with_photo, photo_only):
        url = read[request_id]["media_url"]
        check(url.startswith("http"), "request %s has a media_url" % request_id)
        status, content_type, data = call("GET", url + "?" + urllib.parse.urlencode({"api_key": READER}))
        check(status == 200 and data == photo and content_type == "image/png", "media_url serves the photo sent")
    check(read[with_text]["media_url"] == "", "a request without a photo has an empty media_url")

    # Listing with each filter, in both formats.
    for fmt in ("json", "xml"):
        everything = requests(fmt, READER)
        check(set(ids) <= set(everything), "%s: the default list holds the new requests" % fmt)
        found = requests(fmt, READER, service_request_id=",".join(ids[:2]))
        check(set(found) == set(ids[:2]), "%s: service_request_id selects those ids" % fmt)
        found = requests(fmt, READER, service_request_id=with_text, status="closed", service_code=other)
        check(set(found) == {with_text}, "%s: service_request_id overrides status and service_code" % fmt)
        found = requests(fmt, READER, service_code=other)
        check(without_text in found and all(e["service_code"] == other for e in found.values()), "%s: service_code filters" % fmt)
        found = requests(fmt, READER, status="open")
        check(set(ids) <= set(found) and all(e["status"] == "open" for e in found.values()), "%s: status=open filters" % fmt)
        found = requests(fmt, READER, status="closed")
        check(not (set(ids) & set(found)) and all(e["status"] == "closed" for e in found.values()), "%s: status=closed filters" % fmt)
        when = read[with_text]["requested_datetime"]
        found = requests(fmt, READER, start_date=when, end_date=when)
        check(with_text in found, "%s: start_date and end_date include a request made then" % fmt)
        found = requests(fmt, READER, start_date="2099-01-01T00:00:00Z")
        check(not found, "%s: a start_date in the future selects nothing" % fmt)
        found = requests(fmt, READER, end_date="2000-01-01T00:00:00Z", start_date="1999-01-01T00:00:00Z")
        check(not found, "%s: an end_date in the past selects nothing" % fmt)
    print("all checks passed")


main()

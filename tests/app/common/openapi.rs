//! Every answer the tests get from `/api/v1/` is checked against the API's OpenAPI document:
//! its operation, its status (else the operation's `default`, a problem document), its content
//! type and its body; and none may be a 5xx, which no test provokes on purpose.
//! A small validator for what the document uses (`$ref`, `allOf`, `oneOf`, `type` and type
//! lists, `properties`, `required`, `items`, `enum`), strict about objects: a property the
//! schema does not name fails, so the document cannot fall behind what the API answers.

use std::sync::OnceLock;

use serde_json::{Map, Value};

fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(galley::api::openapi::json)
}

/// Panics, naming what is wrong, if the answer is not one the document describes.
pub fn check(method: &str, path: &str, status: u16, content_type: &str, body: &str) {
    assert!(status < 500, "{method} {path}: {status}\n{body}");
    if method == "OPTIONS" {
        // A CORS preflight: answered by the API's edge, not an operation.
        return;
    }
    let doc = document();
    // HEAD is GET without the body.
    let (lookup, body) = if method == "HEAD" {
        ("get", "")
    } else {
        (method, body)
    };
    let operation = find_path(doc, path).and_then(|item| item.get(lookup.to_lowercase()));
    let Some(operation) = operation else {
        // No such operation (an unknown address, a method it does not take): a problem.
        assert!(
            status >= 400,
            "{method} {path}: {status} is not in the OpenAPI document"
        );
        assert_eq!(
            content_type, "application/problem+json",
            "{method} {path} {status}"
        );
        let problem = serde_json::json!({"$ref": "#/components/schemas/Problem"});
        return validate_body(method, path, &problem, body);
    };
    if method == "HEAD" {
        return;
    }
    let responses = &operation["responses"];
    let response = responses
        .get(status.to_string())
        .or_else(|| responses.get("default"))
        .unwrap_or_else(|| panic!("{method} {path}: status {status} is not documented"));
    let Some(content) = response.get("content").and_then(Value::as_object) else {
        assert!(
            body.is_empty(),
            "{method} {path} {status}: the document says no body, the API sent {body}"
        );
        return;
    };
    let kind = content_type.split(';').next().unwrap_or("").trim();
    let media = content.get(kind).unwrap_or_else(|| {
        panic!("{method} {path} {status}: {kind} is not documented ({content:?})")
    });
    if let Some(schema) = media.get("schema") {
        validate_body(method, path, schema, body);
    }
}

fn validate_body(method: &str, path: &str, schema: &Value, body: &str) {
    let value: Value = serde_json::from_str(body)
        .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {body}"));
    if let Err(e) = validate(schema, &value, "$", true) {
        panic!("{method} {path}: {e}\n{body}");
    }
}

/// The path item whose template matches `path`, preferring literal segments.
fn find_path<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    let segments: Vec<&str> = path.split('/').collect();
    doc["paths"]
        .as_object()?
        .iter()
        .filter_map(|(template, item)| {
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                return None;
            }
            let mut literal = 0;
            for (t, s) in parts.iter().zip(&segments) {
                if t.starts_with('{') {
                    continue;
                }
                if t != s {
                    return None;
                }
                literal += 1;
            }
            Some((literal, item))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, item)| item)
}

fn resolve(schema: &Value) -> &Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.trim_start_matches("#/components/schemas/");
            let target = &document()["components"]["schemas"][name];
            assert!(!target.is_null(), "no schema {name}");
            resolve(target)
        }
        None => schema,
    }
}

/// The properties an object schema names, through `allOf`.
fn named(schema: &Value, into: &mut Vec<String>) {
    let schema = resolve(schema);
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        into.extend(props.keys().cloned());
    }
    for part in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        named(part, into);
    }
}

fn type_matches(kind: &str, value: &Value) -> bool {
    match kind {
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "null" => value.is_null(),
        _ => false,
    }
}

fn validate(schema: &Value, value: &Value, at: &str, strict: bool) -> Result<(), String> {
    let schema = resolve(schema);
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        for part in parts {
            validate(part, value, at, false)?;
        }
        if strict && let Some(object) = value.as_object() {
            let mut allowed = Vec::new();
            named(schema, &mut allowed);
            closed(object, &allowed, at)?;
        }
    }
    if let Some(options) = schema.get("oneOf").and_then(Value::as_array) {
        let errors: Vec<String> = options
            .iter()
            .filter_map(|o| validate(o, value, at, strict).err())
            .collect();
        match options.len() - errors.len() {
            0 => {
                return Err(format!(
                    "{at}: matches none of oneOf: {}",
                    errors.join("; ")
                ));
            }
            1 => {}
            n => return Err(format!("{at}: matches {n} of oneOf, not one")),
        }
    }
    match schema.get("type") {
        Some(Value::String(kind)) if !type_matches(kind, value) => {
            return Err(format!("{at}: {value} is not of type {kind}"));
        }
        Some(Value::Array(kinds))
            if !kinds
                .iter()
                .any(|k| k.as_str().is_some_and(|k| type_matches(k, value))) =>
        {
            return Err(format!("{at}: {value} is not of types {kinds:?}"));
        }
        _ => {}
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        return Err(format!("{at}: {value} is not one of {allowed:?}"));
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, item) in array.iter().enumerate() {
            validate(items, item, &format!("{at}[{i}]"), true)?;
        }
    }
    if let (Some(props), Some(object)) = (
        schema.get("properties").and_then(Value::as_object),
        value.as_object(),
    ) {
        for name in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = name.as_str().unwrap_or_default();
            if !object.contains_key(name) {
                return Err(format!("{at}: the required {name:?} is missing"));
            }
        }
        for (name, v) in object {
            if let Some(p) = props.get(name) {
                validate(p, v, &format!("{at}.{name}"), true)?;
            }
        }
        if strict {
            closed(object, &props.keys().cloned().collect::<Vec<_>>(), at)?;
        }
    }
    Ok(())
}

fn closed(object: &Map<String, Value>, allowed: &[String], at: &str) -> Result<(), String> {
    match object.keys().find(|k| !allowed.contains(k)) {
        Some(extra) => Err(format!("{at}: {extra:?} is not in the document's schema")),
        None => Ok(()),
    }
}

#[test]
fn the_validator_refuses_what_the_schema_does_not_allow() {
    let problem = serde_json::json!({"$ref": "#/components/schemas/Problem"});
    let good = serde_json::json!({"type": "t", "title": "T", "status": 404, "detail": "d"});
    assert!(validate(&problem, &good, "$", true).is_ok());
    let mut extra = good.clone();
    extra["surprise"] = 1.into();
    assert!(validate(&problem, &extra, "$", true).is_err());
    let missing = serde_json::json!({"type": "t", "title": "T", "status": 404});
    assert!(validate(&problem, &missing, "$", true).is_err());
    let wrong = serde_json::json!({"type": "t", "title": "T", "status": "404", "detail": "d"});
    assert!(validate(&problem, &wrong, "$", true).is_err());
    let detail = serde_json::json!({"$ref": "#/components/schemas/PageDetail"});
    assert!(validate(&detail, &serde_json::json!({"id": 1}), "$", true).is_err());
}

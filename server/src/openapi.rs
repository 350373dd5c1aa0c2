//! The OpenAPI 3.1 description of the JSON API, served at `/openapi.json`.
//!
//! Built from the same code as `formwork schema`: each stage's request body is the stage's
//! exported JSON Schema (draft 2020-12, which OpenAPI 3.1 uses as is), its shared value lists
//! moved from `$defs` to `components.schemas`. The paths, parameters and responses are those of
//! [`crate::api`] and `POST /api/validate`; a test runs schemathesis against a live server to
//! hold the two together.

use formwork_codegen::json_schema;
use formwork_schema::Form;
use serde_json::{Map, Value, json};

/// The `openapi` version of the document.
pub const OPENAPI_VERSION: &str = "3.1.1";

/// Names under `components.schemas` of the API's own bodies (stage schemas are `FormStage`,
/// shared lists keep their snake_case id, so neither can take one of these).
const API_SCHEMAS: [&str; 6] = [
    "ApiError",
    "ApiReport",
    "ApiIssue",
    "ApiRecord",
    "ApiRecordList",
    "ApiVersions",
];

/// The document for `form`'s API.
pub fn document(form: &Form) -> Value {
    let mut schemas = Map::new();
    let mut stage_refs = Vec::new();
    for (i, stage) in form.stages.iter().enumerate() {
        let name = json_schema::schema_name(form, &stage.id);
        let mut schema = json_schema::emit(form, i);
        if let Value::Object(root) = &mut schema {
            root.remove("$schema");
            // An `$id` would make the `#/components/...` references resolve against it.
            if let Some(id) = root.remove("$id") {
                root.insert("x-formwork-id".into(), id);
            }
            if let Some(Value::Object(defs)) = root.remove("$defs") {
                for (k, v) in defs {
                    schemas.entry(k).or_insert(v);
                }
            }
        }
        rewrite_refs(&mut schema);
        stage_refs.push(json!({ "$ref": format!("#/components/schemas/{name}") }));
        schemas.insert(name, schema);
    }
    debug_assert!(API_SCHEMAS.iter().all(|n| !schemas.contains_key(*n)));
    schemas.extend(api_schemas());

    let stages: Vec<&str> = form.stages.iter().map(|s| s.id.as_str()).collect();
    let stage_param = json!({
        "name": "stage", "in": "query", "required": true,
        "description": "The stage whose rules apply.",
        "schema": { "type": "string", "enum": stages },
    });
    let id_param = json!({
        "name": "id", "in": "path", "required": true,
        "description": "The record's id (32 hex digits).",
        "schema": { "type": "string" },
    });
    let if_match = |required: bool| {
        json!({
            "name": "If-Match", "in": "header", "required": required,
            "description": "The record version read, as its ETag: \"3\".",
            "schema": { "type": "string", "pattern": "^(W/)?\"?[0-9]{1,18}\"?$" },
        })
    };
    let submission = json!({
        "required": true,
        "description": "A submission: valid at the stage named by `?stage=` (each stage's schema). File fields keep what was uploaded through the form.",
        "content": { "application/json": { "schema": { "anyOf": stage_refs } } },
    });
    let record = |status: &str, what: &str| {
        json!({ status: {
            "description": what,
            "headers": { "ETag": { "description": "The record's version.", "schema": { "type": "string" } } },
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ApiRecord" } } },
        } })
    };
    let mut info = Map::new();
    info.insert(
        "title".into(),
        format!("{} — formwork API", form.title).into(),
    );
    if let Some(d) = &form.description {
        info.insert("description".into(), d.clone().into());
    }
    info.insert(
        "version".into(),
        form.version.clone().unwrap_or_else(|| "1".into()).into(),
    );
    let auth = json!([{ "bearer": [] }]);
    json!({
        "openapi": OPENAPI_VERSION,
        "info": info,
        "jsonSchemaDialect": json_schema::DIALECT,
        "paths": {
            "/api/validate": { "post": {
                "operationId": "validate",
                "summary": "Validate a submission at a stage (nothing is stored).",
                "parameters": [stage_param],
                "requestBody": {
                    "required": true,
                    "description": "Any JSON document: the report says how it differs from the stage's schema (and the rules no schema can express).",
                    "content": { "application/json": { "schema": {} } },
                },
                "responses": responses(
                    json!({ "200": {
                        "description": "The validation report.",
                        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ApiReport" } } },
                    } }),
                    &["400", "413", "415"],
                ),
            } },
            "/api/records": {
                "get": {
                    "operationId": "listRecords",
                    "summary": "One's own records, newest first, 50 a page.",
                    "security": auth,
                    "parameters": [
                        { "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": crate::api::MAX_PAGE } },
                        { "name": "status", "in": "query", "schema": { "type": "string" } },
                    ],
                    "responses": responses(
                        json!({ "200": {
                            "description": "A page of records.",
                            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ApiRecordList" } } },
                        } }),
                        &["400", "401"],
                    ),
                },
                "post": {
                    "operationId": "createRecord",
                    "summary": "Create a record; the issued values, secrets included, are in this response only.",
                    "security": auth,
                    "parameters": [stage_param],
                    "requestBody": submission,
                    "responses": responses(
                        {
                            let mut r = record("201", "Created.");
                            r["201"]["headers"]["Location"] = json!({ "description": "The record's URL.", "schema": { "type": "string" } });
                            let id = json!({ "id": "$response.body#/id" });
                            r["201"]["links"] = json!({
                                "GetRecord": { "operationId": "getRecord", "parameters": id },
                                "GetRecordVersions": { "operationId": "getRecordVersions", "parameters": id },
                                "UpdateRecord": { "operationId": "updateRecord", "parameters": {
                                    "id": "$response.body#/id",
                                    "header.If-Match": "$response.header.ETag",
                                } },
                                "TransitionRecord": { "operationId": "transitionRecord", "parameters": id },
                            });
                            r
                        },
                        &["400", "401", "413", "415", "422"],
                    ),
                },
            },
            "/api/records/{id}": {
                "get": {
                    "operationId": "getRecord",
                    "summary": "One's own record, without secrets.",
                    "security": auth,
                    "parameters": [id_param],
                    "responses": responses(record("200", "The record."), &["401", "404"]),
                },
                "put": {
                    "operationId": "updateRecord",
                    "summary": "Replace the record's data (If-Match: the version read).",
                    "security": auth,
                    "parameters": [
                        id_param,
                        stage_param,
                        if_match(true),
                        { "name": "drop_orphans", "in": "query", "description": "Drop stored values the form no longer asks for.", "schema": { "type": "string", "enum": ["true", "false"] } },
                    ],
                    "requestBody": submission,
                    "responses": responses(record("200", "Saved."), &["400", "401", "404", "409", "413", "415", "422", "428"]),
                },
            },
            "/api/records/{id}/versions": { "get": {
                "operationId": "getRecordVersions",
                "summary": "Every saved version of one's own record, oldest first, without secrets.",
                "security": auth,
                "parameters": [id_param],
                "responses": responses(
                    json!({ "200": {
                        "description": "The versions.",
                        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ApiVersions" } } },
                    } }),
                    &["401", "404"],
                ),
            } },
            "/api/records/{id}/transitions/{name}": { "post": {
                "operationId": "transitionRecord",
                "summary": "A workflow transition (e.g. a reviewer's approve or request_changes).",
                "security": auth,
                "parameters": [
                    id_param,
                    { "name": "name", "in": "path", "required": true, "schema": { "type": "string", "enum": form.transitions.iter().map(|t| t.id.as_str()).collect::<Vec<_>>() } },
                    if_match(false),
                ],
                "requestBody": {
                    "required": true,
                    "content": { "application/json": { "schema": {
                        "type": "object",
                        "properties": {
                            "comment": { "type": "string", "maxLength": crate::review::MAX_COMMENT_CHARS, "description": "For the owner; required by some transitions." },
                            "field": { "type": "string", "description": "The field (JSON Pointer, e.g. /app_name) the comment is about." },
                        },
                    } } },
                },
                "responses": responses(record("200", "Done."), &["400", "401", "403", "404", "409", "413", "415", "422"]),
            } },
        },
        "components": {
            "schemas": schemas,
            "securitySchemes": { "bearer": {
                "type": "http", "scheme": "bearer",
                "description": "A token from `formwork tokens create EMAIL --db DB` (a session cookie works too).",
            } },
        },
    })
}

/// `ok` plus the error responses named by status code, each an [`ApiError`] body.
fn responses(ok: Value, errors: &[&str]) -> Value {
    let mut all = match ok {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    for code in errors {
        let what = match *code {
            "400" => "The request is malformed (named in `error`).",
            "401" => "Not authenticated.",
            "403" => "Not allowed.",
            "404" => "No such record (or not one's own).",
            "409" => "The record changed since it was read, or cannot take this now.",
            "413" => "The body is too large.",
            "415" => "The body is not application/json.",
            "422" => "Not valid at the stage: the validation report, or what is missing.",
            "428" => "If-Match is required.",
            _ => "An error.",
        };
        let schema = if *code == "422" {
            json!({ "oneOf": [
                { "$ref": "#/components/schemas/ApiReport" },
                { "$ref": "#/components/schemas/ApiError" },
            ] })
        } else {
            json!({ "$ref": "#/components/schemas/ApiError" })
        };
        all.insert(
            (*code).to_string(),
            json!({ "description": what, "content": { "application/json": { "schema": schema } } }),
        );
    }
    Value::Object(all)
}

/// The API's own bodies: errors, reports, records.
fn api_schemas() -> Map<String, Value> {
    let nullable = |t: &str| json!({ "type": [t, "null"] });
    let schemas = json!({
        "ApiError": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": { "type": "string" },
                "orphans": { "type": "array", "description": "Stored values the form no longer asks for (409 of a save)." },
            },
        },
        "ApiIssue": {
            "type": "object",
            "required": ["path", "code", "message"],
            "properties": {
                "path": { "type": "string", "description": "JSON Pointer to the value." },
                "code": { "type": "string" },
                "message": { "type": "string" },
                "params": { "type": "object" },
            },
            "additionalProperties": false,
        },
        "ApiReport": {
            "type": "object",
            "required": ["valid", "stage", "errors", "warnings"],
            "properties": {
                "valid": { "type": "boolean" },
                "stage": { "type": "string" },
                "errors": { "type": "array", "items": { "$ref": "#/components/schemas/ApiIssue" } },
                "warnings": { "type": "array", "items": { "$ref": "#/components/schemas/ApiIssue" } },
                "truncated": { "type": "boolean", "description": "Problems were left out (the last error says how many)." },
            },
            "additionalProperties": false,
        },
        "ApiRecord": {
            "type": "object",
            "required": ["id", "status", "version", "created", "updated", "issued", "data"],
            "properties": {
                "id": { "type": "string", "pattern": "^[0-9a-f]{32}$" },
                "status": { "type": "string" },
                "version": { "type": "integer", "minimum": 1 },
                "created": { "type": "string" },
                "updated": { "type": "string" },
                "issued": { "type": "object" },
                "data": { "type": "object", "description": "The data as saved (valid at the stage it was saved at), without secrets; files carry their `url`." },
            },
            "additionalProperties": false,
        },
        "ApiRecordList": {
            "type": "object",
            "required": ["records", "page", "next"],
            "properties": {
                "records": { "type": "array", "items": { "$ref": "#/components/schemas/ApiRecord" } },
                "page": { "type": "integer", "minimum": 1 },
                "next": nullable("string"),
            },
            "additionalProperties": false,
        },
        "ApiVersions": {
            "type": "object",
            "required": ["id", "versions"],
            "properties": {
                "id": { "type": "string" },
                "versions": { "type": "array", "items": {
                    "type": "object",
                    "required": ["version", "status", "event", "created", "data"],
                    "properties": {
                        "version": { "type": "integer" },
                        "status": { "type": "string" },
                        "spec_version": nullable("string"),
                        "spec_hash": nullable("string"),
                        "event": { "type": "string" },
                        "stage": nullable("string"),
                        "note": nullable("string"),
                        "created": { "type": "string" },
                        "data": { "type": "object" },
                    },
                    "additionalProperties": false,
                } },
            },
            "additionalProperties": false,
        },
    });
    match schemas {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// `#/$defs/X` → `#/components/schemas/X` everywhere in `v`.
fn rewrite_refs(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if k == "$ref"
                    && let Value::String(s) = x
                    && let Some(rest) = s.strip_prefix("#/$defs/")
                {
                    *s = format!("#/components/schemas/{rest}");
                } else {
                    rewrite_refs(x);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(rewrite_refs),
        _ => {}
    }
}

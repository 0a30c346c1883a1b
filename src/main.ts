#!/usr/bin/env node
/** CLI entry (placeholder until the CLI lands): prints usage. */
console.log('wildfire-edge: work in progress');

'use strict';
// Jest globalSetup: starts one Cairn server for the run and sets process.env.CAIRN_ENDPOINT.
// Binary from CAIRN_BIN or PATH; seed from CAIRN_SEED; an existing CAIRN_ENDPOINT is used as is.
module.exports = require('./index.js').jestGlobalSetup();

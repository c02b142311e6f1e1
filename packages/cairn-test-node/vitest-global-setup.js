'use strict';
// Vitest globalSetup: starts one Cairn server, sets process.env.CAIRN_ENDPOINT and
// provides it as inject('cairnEndpoint'); the returned function stops it.
module.exports = require('./index.js').vitestGlobalSetup();

'use strict';
// Jest globalTeardown: stops the server jest-global-setup started.
module.exports = require('./index.js').jestGlobalTeardown();

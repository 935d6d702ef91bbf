import { deployGatewaySystem } from './stacks/program.js';

// Pulumi runs an exported function and takes what it resolves to as the stack outputs.
export = deployGatewaySystem;

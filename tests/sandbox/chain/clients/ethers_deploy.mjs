// A student's ethers v6 script, unmodified: deploy a token through an RPC URL, mint, read back.
// Usage: node ethers_deploy.mjs RPC_URL < {"abi": [...], "bytecode": "0x..."}
import { ContractFactory, JsonRpcProvider } from "ethers";

const [url] = process.argv.slice(2);
let input = "";
for await (const chunk of process.stdin) input += chunk;
const { abi, bytecode } = JSON.parse(input);

const provider = new JsonRpcProvider(url);
const owner = await provider.getSigner(0);
const holder = (await provider.listAccounts())[1].address;
const token = await new ContractFactory(abi, bytecode, owner).deploy(
  "Ethers Token", "ETHR", 10n ** 24n, 10n ** 18n,
);
await token.waitForDeployment();
await (await token.mint(holder, 4242n)).wait();
console.log(JSON.stringify({
  address: await token.getAddress(),
  chainId: (await provider.getNetwork()).chainId.toString(),
  symbol: await token.symbol(),
  balance: (await token.balanceOf(holder)).toString(),
}));
provider.destroy();

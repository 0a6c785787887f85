import { buildRouter } from './index.ts';
import { buildLinearRouter } from './linear-router.ts';
import { routerContract } from './router.case.ts';

routerContract('indexed router', buildRouter);
routerContract('linear reference router', buildLinearRouter);

// The dashboard's entry point: styles, routes, and rendering on every hash change.
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { addRoute, render } from './router.js';
import { homePage } from './pages/home.js';
import { experimentPage } from './pages/experiment.js';
import { runPage } from './pages/run.js';
import { studyPage } from './pages/study.js';
import { modelsPage } from './pages/models.js';
import { comparePage } from './pages/compare.js';

addRoute(/^\/$/, homePage);
addRoute(/^\/experiments\/([^/]+)$/, experimentPage);
addRoute(/^\/runs\/([^/]+)$/, runPage);
addRoute(/^\/studies\/([^/]+)$/, studyPage);
addRoute(/^\/models$/, modelsPage);
addRoute(/^\/models\/([^/]+)$/, modelsPage);
addRoute(/^\/compare$/, comparePage);

const main = document.getElementById('main')!;
window.addEventListener('hashchange', () => void render(main));
void render(main);

// Console entry: registers the elements; index.html holds <servus-console>.
import './components/app.js';

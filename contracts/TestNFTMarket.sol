// SPDX-License-Identifier: AGPL-3.0-or-later
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {ERC721Holder} from "@openzeppelin/contracts/token/ERC721/utils/ERC721Holder.sol";

interface IWBNB {
    function deposit() external payable;
}

interface ICollectionWhitelistChecker {
    function canList(uint256 _tokenId) external view returns (bool);
}

/// @title Test double of the PancakeSwap NFT Market (ERC721NFTMarketV1) for a local chain.
/// @notice Written for this project's tests. It reproduces the events, function names and
///         payment behaviour of PancakeSwap's public, MIT-licensed ERC721NFTMarketV1:
///         listing escrows the NFT, the seller receives netPrice in WBNB in the trade
///         transaction (native BNB is wrapped first), trading and creator fees accrue in
///         pendingRevenue and are paid in WBNB only by claimPendingRevenue().
///         It is not the deployed bytecode and must never be deployed to a real network.
contract TestNFTMarket is ERC721Holder, Ownable, ReentrancyGuard {
    using EnumerableSet for EnumerableSet.AddressSet;
    using EnumerableSet for EnumerableSet.UintSet;
    using SafeERC20 for IERC20;

    enum CollectionStatus {
        Pending,
        Open,
        Close
    }

    struct Ask {
        address seller;
        uint256 price;
    }

    struct Collection {
        CollectionStatus status;
        address creatorAddress;
        address whitelistChecker;
        uint256 tradingFee; // basis points of the ask price (100 = 1 %)
        uint256 creatorFee; // basis points of the ask price
    }

    // Events the ledger follows, declared exactly as on the facts page and in this order.
    event Trade(
        address indexed collection,
        uint256 indexed tokenId,
        address indexed seller,
        address buyer,
        uint256 askPrice,
        uint256 netPrice,
        bool withBNB
    );
    event AskNew(address indexed collection, address indexed seller, uint256 indexed tokenId, uint256 askPrice);
    event AskUpdate(address indexed collection, address indexed seller, uint256 indexed tokenId, uint256 askPrice);
    event AskCancel(address indexed collection, address indexed seller, uint256 indexed tokenId);
    event CollectionNew(
        address indexed collection,
        address indexed creator,
        address indexed whitelistChecker,
        uint256 tradingFee,
        uint256 creatorFee
    );
    event CollectionUpdate(
        address indexed collection,
        address indexed creator,
        address indexed whitelistChecker,
        uint256 tradingFee,
        uint256 creatorFee
    );
    event CollectionClose(address indexed collection);
    event RevenueClaim(address indexed claimer, uint256 amount);

    // Administrative events of the original contract (not used by the ledger).
    event NewAdminAndTreasuryAddresses(address indexed admin, address indexed treasury);
    event NewMinimumAndMaximumAskPrices(uint256 minimumAskPrice, uint256 maximumAskPrice);

    uint256 public constant TOTAL_MAX_FEE = 1000; // 10 % of a sale

    address public immutable WBNB;

    address public adminAddress;
    address public treasuryAddress;
    uint256 public minimumAskPrice;
    uint256 public maximumAskPrice;

    mapping(address => uint256) public pendingRevenue;

    EnumerableSet.AddressSet private _collectionAddressSet;
    mapping(address => mapping(uint256 => Ask)) private _askDetails;
    mapping(address => EnumerableSet.UintSet) private _askTokenIds;
    mapping(address => Collection) private _collections;
    mapping(address => mapping(address => EnumerableSet.UintSet)) private _tokenIdsOfSellerForCollection;

    modifier onlyAdmin() {
        require(msg.sender == adminAddress, "Management: Not admin");
        _;
    }

    constructor(
        address _adminAddress,
        address _treasuryAddress,
        address _WBNBAddress,
        uint256 _minimumAskPrice,
        uint256 _maximumAskPrice
    ) Ownable(msg.sender) {
        require(_adminAddress != address(0), "Operations: Admin address cannot be zero");
        require(_treasuryAddress != address(0), "Operations: Treasury address cannot be zero");
        require(_WBNBAddress != address(0), "Operations: WBNB address cannot be zero");
        require(_minimumAskPrice > 0, "Operations: _minimumAskPrice must be > 0");
        require(_minimumAskPrice < _maximumAskPrice, "Operations: _minimumAskPrice < _maximumAskPrice");
        adminAddress = _adminAddress;
        treasuryAddress = _treasuryAddress;
        WBNB = _WBNBAddress;
        minimumAskPrice = _minimumAskPrice;
        maximumAskPrice = _maximumAskPrice;
    }

    // ----------------------------------------------------------------- trading

    /// @notice Buy with native BNB; the market wraps it (WBNB Deposit to the market).
    function buyTokenUsingBNB(address _collection, uint256 _tokenId) external payable nonReentrant {
        IWBNB(WBNB).deposit{value: msg.value}();
        _buyToken(_collection, _tokenId, msg.value, true);
    }

    /// @notice Buy with WBNB; `_price` must equal the ask price.
    function buyTokenUsingWBNB(address _collection, uint256 _tokenId, uint256 _price) external nonReentrant {
        IERC20(WBNB).safeTransferFrom(msg.sender, address(this), _price);
        _buyToken(_collection, _tokenId, _price, false);
    }

    function createAskOrder(address _collection, uint256 _tokenId, uint256 _askPrice) external nonReentrant {
        require(_askPrice >= minimumAskPrice && _askPrice <= maximumAskPrice, "Order: Price not within range");
        require(_collections[_collection].status == CollectionStatus.Open, "Collection: Not for listing");
        require(_canTokenBeListed(_collection, _tokenId), "Order: tokenId not eligible");

        IERC721(_collection).safeTransferFrom(msg.sender, address(this), _tokenId);

        _tokenIdsOfSellerForCollection[msg.sender][_collection].add(_tokenId);
        _askDetails[_collection][_tokenId] = Ask({seller: msg.sender, price: _askPrice});
        _askTokenIds[_collection].add(_tokenId);

        emit AskNew(_collection, msg.sender, _tokenId, _askPrice);
    }

    function modifyAskOrder(address _collection, uint256 _tokenId, uint256 _newPrice) external nonReentrant {
        require(_newPrice >= minimumAskPrice && _newPrice <= maximumAskPrice, "Order: Price not within range");
        require(_collections[_collection].status == CollectionStatus.Open, "Collection: Not for listing");
        require(_tokenIdsOfSellerForCollection[msg.sender][_collection].contains(_tokenId), "Order: Token not listed");

        _askDetails[_collection][_tokenId].price = _newPrice;

        emit AskUpdate(_collection, msg.sender, _tokenId, _newPrice);
    }

    function cancelAskOrder(address _collection, uint256 _tokenId) external nonReentrant {
        require(_tokenIdsOfSellerForCollection[msg.sender][_collection].contains(_tokenId), "Order: Token not listed");

        _tokenIdsOfSellerForCollection[msg.sender][_collection].remove(_tokenId);
        delete _askDetails[_collection][_tokenId];
        _askTokenIds[_collection].remove(_tokenId);

        IERC721(_collection).transferFrom(address(this), msg.sender, _tokenId);

        emit AskCancel(_collection, msg.sender, _tokenId);
    }

    /// @notice Pay the caller's whole accrued fee balance in WBNB.
    function claimPendingRevenue() external nonReentrant {
        uint256 revenueToClaim = pendingRevenue[msg.sender];
        require(revenueToClaim != 0, "Claim: Nothing to claim");
        pendingRevenue[msg.sender] = 0;

        IERC20(WBNB).safeTransfer(msg.sender, revenueToClaim);

        emit RevenueClaim(msg.sender, revenueToClaim);
    }

    // ------------------------------------------------------------------- admin

    function addCollection(
        address _collection,
        address _creator,
        address _whitelistChecker,
        uint256 _tradingFee,
        uint256 _creatorFee
    ) external onlyAdmin {
        require(!_collectionAddressSet.contains(_collection), "Operations: Collection already listed");
        require(IERC721(_collection).supportsInterface(0x80ac58cd), "Operations: Not ERC721");
        _checkFees(_creator, _tradingFee, _creatorFee);

        _collectionAddressSet.add(_collection);
        _collections[_collection] = Collection({
            status: CollectionStatus.Open,
            creatorAddress: _creator,
            whitelistChecker: _whitelistChecker,
            tradingFee: _tradingFee,
            creatorFee: _creatorFee
        });

        emit CollectionNew(_collection, _creator, _whitelistChecker, _tradingFee, _creatorFee);
    }

    function modifyCollection(
        address _collection,
        address _creator,
        address _whitelistChecker,
        uint256 _tradingFee,
        uint256 _creatorFee
    ) external onlyAdmin {
        require(_collectionAddressSet.contains(_collection), "Operations: Collection not listed");
        _checkFees(_creator, _tradingFee, _creatorFee);

        _collections[_collection] = Collection({
            status: CollectionStatus.Open,
            creatorAddress: _creator,
            whitelistChecker: _whitelistChecker,
            tradingFee: _tradingFee,
            creatorFee: _creatorFee
        });

        emit CollectionUpdate(_collection, _creator, _whitelistChecker, _tradingFee, _creatorFee);
    }

    function closeCollectionForTradingAndListing(address _collection) external onlyAdmin {
        require(_collectionAddressSet.contains(_collection), "Operations: Collection not listed");

        _collections[_collection].status = CollectionStatus.Close;
        _collectionAddressSet.remove(_collection);

        emit CollectionClose(_collection);
    }

    function updateMinimumAndMaximumPrices(uint256 _minimumAskPrice, uint256 _maximumAskPrice) external onlyAdmin {
        require(_minimumAskPrice < _maximumAskPrice, "Operations: _minimumAskPrice < _maximumAskPrice");
        minimumAskPrice = _minimumAskPrice;
        maximumAskPrice = _maximumAskPrice;
        emit NewMinimumAndMaximumAskPrices(_minimumAskPrice, _maximumAskPrice);
    }

    function setAdminAndTreasuryAddresses(address _adminAddress, address _treasuryAddress) external onlyOwner {
        require(_adminAddress != address(0), "Operations: Admin address cannot be zero");
        require(_treasuryAddress != address(0), "Operations: Treasury address cannot be zero");
        adminAddress = _adminAddress;
        treasuryAddress = _treasuryAddress;
        emit NewAdminAndTreasuryAddresses(_adminAddress, _treasuryAddress);
    }

    // ------------------------------------------------------------------- views

    function viewAsksByCollectionAndTokenIds(address collection, uint256[] calldata tokenIds)
        external
        view
        returns (bool[] memory statuses, Ask[] memory askInfo)
    {
        uint256 length = tokenIds.length;
        statuses = new bool[](length);
        askInfo = new Ask[](length);
        for (uint256 i = 0; i < length; i++) {
            statuses[i] = _askTokenIds[collection].contains(tokenIds[i]);
            askInfo[i] = _askDetails[collection][tokenIds[i]];
        }
        return (statuses, askInfo);
    }

    function viewCollections(uint256 cursor, uint256 size)
        external
        view
        returns (address[] memory collectionAddresses, Collection[] memory collectionDetails, uint256)
    {
        uint256 length = size;
        if (length > _collectionAddressSet.length() - cursor) {
            length = _collectionAddressSet.length() - cursor;
        }
        collectionAddresses = new address[](length);
        collectionDetails = new Collection[](length);
        for (uint256 i = 0; i < length; i++) {
            collectionAddresses[i] = _collectionAddressSet.at(cursor + i);
            collectionDetails[i] = _collections[collectionAddresses[i]];
        }
        return (collectionAddresses, collectionDetails, cursor + length);
    }

    function calculatePriceAndFeesForCollection(address collection, uint256 price)
        external
        view
        returns (uint256 netPrice, uint256 tradingFee, uint256 creatorFee)
    {
        if (_collections[collection].status != CollectionStatus.Open) {
            return (0, 0, 0);
        }
        return _calculatePriceAndFeesForCollection(collection, price);
    }

    // ---------------------------------------------------------------- internal

    function _buyToken(address _collection, uint256 _tokenId, uint256 _price, bool _withBNB) internal {
        require(_collections[_collection].status == CollectionStatus.Open, "Collection: Not for trading");
        require(_askTokenIds[_collection].contains(_tokenId), "Buy: Not for sale");

        Ask memory askOrder = _askDetails[_collection][_tokenId];
        require(_price == askOrder.price, "Buy: Incorrect price");
        require(msg.sender != askOrder.seller, "Buy: Buyer cannot be seller");

        (uint256 netPrice, uint256 tradingFee, uint256 creatorFee) =
            _calculatePriceAndFeesForCollection(_collection, _price);

        _tokenIdsOfSellerForCollection[askOrder.seller][_collection].remove(_tokenId);
        delete _askDetails[_collection][_tokenId];
        _askTokenIds[_collection].remove(_tokenId);

        // The seller is paid in WBNB inside the trade transaction.
        IERC20(WBNB).safeTransfer(askOrder.seller, netPrice);

        // Fees only accrue here; they are paid by claimPendingRevenue().
        if (creatorFee != 0) {
            pendingRevenue[_collections[_collection].creatorAddress] += creatorFee;
        }
        if (tradingFee != 0) {
            pendingRevenue[treasuryAddress] += tradingFee;
        }

        IERC721(_collection).safeTransferFrom(address(this), msg.sender, _tokenId);

        emit Trade(_collection, _tokenId, askOrder.seller, msg.sender, _price, netPrice, _withBNB);
    }

    function _calculatePriceAndFeesForCollection(address _collection, uint256 _askPrice)
        internal
        view
        returns (uint256 netPrice, uint256 tradingFee, uint256 creatorFee)
    {
        tradingFee = (_askPrice * _collections[_collection].tradingFee) / 10000;
        creatorFee = (_askPrice * _collections[_collection].creatorFee) / 10000;
        netPrice = _askPrice - tradingFee - creatorFee;
    }

    function _checkFees(address _creator, uint256 _tradingFee, uint256 _creatorFee) internal pure {
        require(
            (_creatorFee == 0 && _creator == address(0)) || (_creatorFee != 0 && _creator != address(0)),
            "Operations: Creator parameters incorrect"
        );
        require(_tradingFee + _creatorFee <= TOTAL_MAX_FEE, "Operations: Sum of fee must inferior to TOTAL_MAX_FEE");
    }

    function _canTokenBeListed(address _collection, uint256 _tokenId) internal view returns (bool) {
        address checker = _collections[_collection].whitelistChecker;
        return checker == address(0) || ICollectionWhitelistChecker(checker).canList(_tokenId);
    }
}
